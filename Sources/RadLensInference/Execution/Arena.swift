import Foundation
import Glibc

/// Owns 64-byte-aligned float buffers and frees them together: weights prepared for the
/// kernels, activations of a plan, per-thread scratch. Threads may allocate at once (weights
/// are packed in parallel).
final class Arena: @unchecked Sendable {
    private var blocks: [UnsafeMutableRawPointer] = []
    private(set) var bytes = 0
    private let lock = NSLock()

    /// A buffer of `count` floats, zero-filled.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        let size = max(count, 16) * MemoryLayout<Float>.stride + 64  // slack for vector tails
        guard posix_memalign(&raw, 64, size) == 0, let raw else { fatalError("out of memory allocating \(size) bytes") }
        memset(raw, 0, size)
        lock.withLock {
            blocks.append(raw)
            bytes += size
        }
        return raw.bindMemory(to: Float.self, capacity: size / MemoryLayout<Float>.stride)
    }

    /// A copy of `values` that lives as long as the arena.
    func copy(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let pointer = allocate(values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: $0.count) }
        return pointer
    }

    /// A copy of `offsets` (tap offsets for the kernels) that lives as long as the arena.
    func allocateOffsets(_ offsets: [Int]) -> UnsafePointer<Int> {
        let pointer = UnsafeMutableRawPointer(allocate(offsets.count * MemoryLayout<Int>.stride / MemoryLayout<Float>.stride))
            .bindMemory(to: Int.self, capacity: offsets.count)
        pointer.update(from: offsets, count: offsets.count)
        return UnsafePointer(pointer)
    }

    deinit {
        for block in blocks { free(block) }
    }
}
