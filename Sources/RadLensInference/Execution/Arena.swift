import Foundation
import Glibc

/// Owns 64-byte-aligned float buffers and frees them together: weights prepared for the
/// kernels, activations of a plan, per-thread scratch. Threads may allocate at once (weights
/// are packed in parallel).
final class Arena: @unchecked Sendable {
    private var blocks: [(pointer: UnsafeMutableRawPointer, mappedBytes: Int)] = []
    private(set) var bytes = 0
    private let lock = NSLock()

    /// Buffers from this size up are mapped from the kernel, which hands out zeroed pages when
    /// they are first touched: a plan's activations are then not written twice (once by memset,
    /// once by their layer), and their page faults fall in the first inference, spread over its
    /// threads, rather than all on the thread that builds the plan.
    static let mappedThreshold = 64 << 10

    /// A buffer of `count` floats, zero-filled.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = max(count, 16) * MemoryLayout<Float>.stride + 64  // slack for vector tails
        let raw: UnsafeMutableRawPointer
        var mappedBytes = 0
        if size >= Self.mappedThreshold {
            // Page-aligned, hence 64-byte aligned; zero-filled by the kernel.
            mappedBytes = size
            guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
                fatalError("out of memory mapping \(size) bytes")
            }
            raw = mapped
        } else {
            var aligned: UnsafeMutableRawPointer?
            guard posix_memalign(&aligned, 64, size) == 0, let aligned else { fatalError("out of memory allocating \(size) bytes") }
            memset(aligned, 0, size)
            raw = aligned
        }
        lock.withLock {
            blocks.append((raw, mappedBytes))
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
        for block in blocks {
            if block.mappedBytes > 0 { munmap(block.pointer, block.mappedBytes) } else { free(block.pointer) }
        }
    }
}
