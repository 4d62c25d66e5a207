/// AVX2 + FMA level (haswell and later): 8-wide vectors in ymm registers.
typealias Vector = SIMD8<Float>

extension Kernels {
    public static let name = "avx2"
}
