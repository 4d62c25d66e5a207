import RadLensInference
import RadLensPipeline

/// The version printed by `radlens --version`, with the kernel level this CPU runs.
enum RadLensVersion {
    static let number = RadLensInfo.version
    static var description: String { "radlens \(number) (kernels: \(KernelLevel.best.rawValue))" }
}
