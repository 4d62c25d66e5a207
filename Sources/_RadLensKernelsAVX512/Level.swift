/// AVX-512 level (skylake-avx512, Zen 4): 16-wide vectors in zmm registers.
typealias Vector = SIMD16<Float>
/// Two vectors, for de-interleaving stride-2 loads.
typealias WideVector = SIMD32<Float>

extension Kernels {
    public static let name = "avx512"
}
