import RadLensReport

/// Distance of a feature vector from the training distribution, in standard deviations.
enum Mahalanobis {
    static func distance(_ features: [Float], _ ood: ModelManifest.OutOfDistribution) -> Float {
        let c = ood.mean.count
        guard features.count == c else { return .infinity }
        let centered = (0..<c).map { Double(features[$0] - ood.mean[$0]) }
        var squared = 0.0
        if let cholesky = ood.precisionCholesky, cholesky.count == c * c {
            // precision = L Lᵀ, so d² = |Lᵀ x|².
            for j in 0..<c {
                var sum = 0.0
                for i in j..<c { sum += Double(cholesky[i * c + j]) * centered[i] }
                squared += sum * sum
            }
        } else if let precision = ood.precision, precision.count == c * c {
            for i in 0..<c {
                var row = 0.0
                for j in 0..<c { row += Double(precision[i * c + j]) * centered[j] }
                squared += centered[i] * row
            }
        } else {
            return .infinity
        }
        return Float(max(squared, 0).squareRoot())
    }
}
