import Foundation

/// Distance of a feature vector from the training distribution (Mahalanobis, shared covariance).
public struct Mahalanobis: Sendable {
    public let mean: [Float]
    /// Inverse covariance, row-major C x C float32 values in native byte order (usually a slice
    /// of the bundle's memory-mapped .npy file, not a copy).
    private let precision: Data
    public let threshold: Float

    /// `precisionValues`: the C x C matrix's float32 bytes (see `NumPyFile.float32Values`).
    public init?(mean: [Float], precisionValues: Data, threshold: Float) {
        guard !mean.isEmpty, precisionValues.count == mean.count * mean.count * MemoryLayout<Float>.size else { return nil }
        self.mean = mean
        self.precision = precisionValues
        self.threshold = threshold
    }

    /// sqrt((f - mean)ᵀ precision (f - mean)), or infinity when the feature count is wrong.
    public func distance(_ features: [Float]) -> Float {
        let c = mean.count
        guard features.count == c else { return .infinity }
        let centered = (0..<c).map { Double(features[$0] - mean[$0]) }
        var squared = 0.0
        precision.withUnsafeBytes { precision in
            for i in 0..<c {
                var row = 0.0
                for j in 0..<c {
                    row += Double(precision.loadUnaligned(fromByteOffset: (i * c + j) * MemoryLayout<Float>.size, as: Float.self)) * centered[j]
                }
                squared += centered[i] * row
            }
        }
        return Float(max(squared, 0).squareRoot())
    }
}
