/// Portable level: 8-wide vectors, compiled for the baseline x86-64 (SSE2) or any other CPU.
typealias Vector = SIMD8<Float>
/// Two vectors, for de-interleaving stride-2 loads.
typealias WideVector = SIMD16<Float>
/// Vectors of pixels per register tile (16 / tileVectors output channels): 16 accumulators.
let tileVectors = 2

extension Kernels {
    public static let name = "generic"
}
