/// AVX-512 level (skylake-avx512, Zen 4): 16-wide vectors in zmm registers.
typealias Vector = SIMD16<Float>
/// Two vectors, for de-interleaving stride-2 loads.
typealias WideVector = SIMD32<Float>
/// Vectors of pixels per register tile (16 / tileVectors output channels): 16 accumulators.
let tileVectors = 1

extension Kernels {
    public static let name = "avx512"
}
