import RadLensKernels
import _RadLensCPU
import _RadLensKernelsAVX2
import _RadLensKernelsAVX512
import _RadLensKernelsGeneric

/// The instruction-set levels RadLens has kernels for, fastest first.
public enum KernelLevel: String, Sendable, CaseIterable, Codable {
    case avx512
    case avx2
    case generic

    /// The fastest level this CPU supports.
    public static let best: KernelLevel = {
        if rl_cpu_has_avx512() != 0 { return .avx512 }
        if rl_cpu_has_avx2_fma() != 0 { return .avx2 }
        return .generic
    }()

    /// True when this CPU can run the level.
    public var isSupported: Bool {
        switch self {
        case .avx512: rl_cpu_has_avx512() != 0
        case .avx2: rl_cpu_has_avx2_fma() != 0
        case .generic: true
        }
    }

    var kernels: any KernelSet.Type {
        switch self {
        case .avx512: _RadLensKernelsAVX512.Kernels.self
        case .avx2: _RadLensKernelsAVX2.Kernels.self
        case .generic: _RadLensKernelsGeneric.Kernels.self
        }
    }
}
