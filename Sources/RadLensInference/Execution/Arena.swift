import Foundation
import Glibc

/// Owns 64-byte-aligned float buffers and frees them together: weights prepared for the
/// kernels, activations of a plan, per-thread scratch. Threads may allocate at once (weights
/// are packed in parallel).
final class Arena: @unchecked Sendable {
    private var blocks: [(pointer: UnsafeMutableRawPointer, mappedBytes: Int)] = []
    private(set) var bytes = 0
    private let lock = NSLock()
    /// The mapped region large buffers are carved from, and how much of it is handed out.
    private var region: (start: UnsafeMutableRawPointer, size: Int, used: Int)?

    /// Buffers from this size up are carved from memory mapped from the kernel, which hands out
    /// zeroed pages when they are first touched: a plan's activations are then not written
    /// twice (once by memset, once by their layer), and their page faults fall in the first
    /// inference, spread over its threads, rather than all on the thread that builds the plan.
    static let mappedThreshold = 64 << 10

    /// Large buffers are carved one after another from regions of at least this size, aligned
    /// to and advised as transparent huge pages: a cold start's first inference then takes one
    /// fault per 2 MB of activations rather than one per 4 KB (`radlens analyze`: about 950
    /// fewer faults of 2-3 us each here; packing uncached weights gains the same way).
    /// Untouched parts of a region cost no memory; touched huge pages round a plan's memory up
    /// to 2 MB (4 MB more peak memory for analyze).
    static let regionBytes = 32 << 20
    static let hugePage = 2 << 20

    /// A buffer of `count` floats, zero-filled.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = max(count, 16) * MemoryLayout<Float>.stride + 64  // slack for vector tails
        let raw: UnsafeMutableRawPointer
        if size >= Self.mappedThreshold {
            raw = lock.withLock {
                bytes += size
                return carve(size)
            }
        } else {
            var aligned: UnsafeMutableRawPointer?
            guard posix_memalign(&aligned, 64, size) == 0, let aligned else { fatalError("out of memory allocating \(size) bytes") }
            memset(aligned, 0, size)
            raw = aligned
            lock.withLock {
                blocks.append((aligned, 0))
                bytes += size
            }
        }
        return raw.bindMemory(to: Float.self, capacity: size / MemoryLayout<Float>.stride)
    }

    /// `size` bytes, 64-byte aligned, of the current region (a new one when it is full): zeroed
    /// by the kernel and never handed out twice. Call it holding the lock.
    private func carve(_ size: Int) -> UnsafeMutableRawPointer {
        let rounded = (size + 63) & ~63
        if region == nil || region!.used + rounded > region!.size {
            let regionSize = max(Self.regionBytes, (rounded + Self.hugePage - 1) / Self.hugePage * Self.hugePage)
            let mappedSize = regionSize + Self.hugePage  // room to align the start
            guard let mapped = mmap(nil, mappedSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
                fatalError("out of memory mapping \(mappedSize) bytes")
            }
            blocks.append((mapped, mappedSize))
            let start = mapped + (Self.hugePage - Int(bitPattern: mapped) % Self.hugePage) % Self.hugePage
            _ = madvise(start, regionSize, MADV_HUGEPAGE)  // A no-op where huge pages are off.
            region = (start, regionSize, 0)
        }
        let pointer = region!.start + region!.used
        region!.used += rounded
        return pointer
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
