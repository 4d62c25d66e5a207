/// AVX2 + FMA level (haswell and later): 8-wide vectors in ymm registers.
typealias Vector = SIMD8<Float>
/// Integer lanes of the same width, for building exponents.
typealias IntVector = SIMD8<Int32>
/// Vectors of pixels per register tile (16 / tileVectors output channels): 16 accumulators.
let tileVectors = 2
/// Direct-convolution register tile: channel blocks x output pixels, and pixels with one block (8 of the 16 ymm registers accumulate).
let directTileShape = (blocks: 2, pixels: 6, singleBlockPixels: 12)

extension Kernels {
    public static let name = "avx2"
}
