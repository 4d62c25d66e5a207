@testable import RadLensInference
import Testing

/// The arena that holds weights and activations: every buffer zero-filled, 64-byte aligned,
/// and its own with the 16 floats of slack after it that vector tails may touch, also when
/// large buffers are carved from one huge-page region after another.
@Suite struct ArenaTests {
    @Test func buffersAreZeroedAlignedAndDisjointAcrossRegions() {
        let arena = Arena()
        // Small (malloc'd) and large (carved) sizes, adding up to more than two regions.
        let counts = [10, 16_384, 1_000_000, 3, 5_000_000, 70_000, 2_000_000, 17, 4_000_000, 1_500_000]
        var buffers: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []
        for round in 0..<2 {
            for count in counts {
                let pointer = arena.allocate(count + round)
                buffers.append((pointer, count + round + 16))
            }
        }
        #expect(buffers.reduce(0) { $0 + $1.count } * 4 > 2 * Arena.regionBytes)
        for (index, buffer) in buffers.enumerated() {
            #expect(Int(bitPattern: buffer.pointer) % 64 == 0, "buffer \(index) is not 64-byte aligned")
            #expect(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count).allSatisfy { $0 == 0 }, "buffer \(index) is not zeroed")
            buffer.pointer.update(repeating: Float(index + 1), count: buffer.count)
        }
        for (index, buffer) in buffers.enumerated() {
            #expect(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count).allSatisfy { $0 == Float(index + 1) },
                    "buffer \(index) was overwritten by another")
        }
    }
}
