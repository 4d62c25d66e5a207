/// Portable level: 8-wide vectors, compiled for the baseline x86-64 (SSE2) or any other CPU.
typealias Vector = SIMD8<Float>
/// Two vectors, for de-interleaving stride-2 loads.
typealias WideVector = SIMD16<Float>

extension Kernels {
    public static let name = "generic"
}
