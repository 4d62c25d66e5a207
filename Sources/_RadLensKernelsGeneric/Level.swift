/// Portable level: 8-wide vectors, compiled for the baseline x86-64 (SSE2) or any other CPU.
typealias Vector = SIMD8<Float>
/// Integer lanes of the same width, for building exponents.
typealias IntVector = SIMD8<Int32>
/// Vectors of pixels per register tile (16 / tileVectors output channels): 16 accumulators.
let tileVectors = 2
/// Direct-convolution register tile: channel blocks x output pixels, and pixels with one block (4 accumulators of two SSE registers each).
let directTileShape = (blocks: 1, pixels: 4, singleBlockPixels: 4)

extension Kernels {
    public static let name = "generic"
}
