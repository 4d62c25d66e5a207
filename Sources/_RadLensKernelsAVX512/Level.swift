/// AVX-512 level (skylake-avx512, Zen 4): 16-wide vectors in zmm registers.
typealias Vector = SIMD16<Float>
/// Integer lanes of the same width, for building exponents.
typealias IntVector = SIMD16<Int32>
/// Vectors of pixels per register tile (16 / tileVectors output channels): 16 accumulators.
let tileVectors = 1
/// Direct-convolution register tile: channel blocks x output pixels, and pixels with one block
/// (12 of the 32 zmm registers accumulate). One block of 12 pixels beats two blocks of 6 by
/// 1-7%: a 3x3 tile over 32 input channels then reads 18 KB of weights, not 36 KB, which fits L1.
let directTileShape = (blocks: 1, pixels: 6, singleBlockPixels: 12)

extension Kernels {
    public static let name = "avx512"
}
