/// AVX-512 level (skylake-avx512, Zen 4): 16-wide vectors in zmm registers.
typealias Vector = SIMD16<Float>

extension Kernels {
    public static let name = "avx512"
}
