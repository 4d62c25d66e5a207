/// Distance of a feature vector from the training distribution (Mahalanobis, shared covariance).
public struct Mahalanobis: Sendable {
    public let mean: [Float]
    /// Inverse covariance, row-major C x C.
    public let precision: [Float]
    public let threshold: Float

    public init?(mean: [Float], precision: [Float], threshold: Float) {
        guard !mean.isEmpty, precision.count == mean.count * mean.count else { return nil }
        self.mean = mean
        self.precision = precision
        self.threshold = threshold
    }

    /// sqrt((f - mean)ᵀ precision (f - mean)), or infinity when the feature count is wrong.
    public func distance(_ features: [Float]) -> Float {
        let c = mean.count
        guard features.count == c else { return .infinity }
        let centered = (0..<c).map { Double(features[$0] - mean[$0]) }
        var squared = 0.0
        for i in 0..<c {
            var row = 0.0
            for j in 0..<c { row += Double(precision[i * c + j]) * centered[j] }
            squared += centered[i] * row
        }
        return Float(max(squared, 0).squareRoot())
    }
}
