/// Predicted probabilities against observed outcomes in equal-width bins over [0, 1]: the
/// reliability diagram, and the expected calibration error read from it.
public struct CalibrationBins: Sendable, Equatable {
    /// Images per bin.
    public var counts: [Int]
    /// Mean predicted probability per bin (0 for empty bins).
    public var meanProbabilities: [Double]
    /// Fraction of positives per bin (0 for empty bins).
    public var observedRates: [Double]

    /// Bin b holds probabilities p with min(floor(p * bins), bins - 1) == b, as `Training/metrics.py`.
    public init(labels: [Int], probabilities: [Double], bins: Int = 15) {
        var count = [Int](repeating: 0, count: bins)
        var labelSum = [Double](repeating: 0, count: bins), probabilitySum = labelSum
        for (label, p) in zip(labels, probabilities) {
            let bin = min(max(Int((p * Double(bins)).rounded(.down)), 0), bins - 1)
            count[bin] += 1
            labelSum[bin] += Double(label)
            probabilitySum[bin] += p
        }
        counts = count
        meanProbabilities = (0..<bins).map { count[$0] > 0 ? probabilitySum[$0] / Double(count[$0]) : 0 }
        observedRates = (0..<bins).map { count[$0] > 0 ? labelSum[$0] / Double(count[$0]) : 0 }
    }

    /// Expected calibration error: sum over non-empty bins of (n_b / n) |observed_b - predicted_b|.
    public var expectedCalibrationError: Double {
        let total = Double(counts.reduce(0, +))
        return counts.indices.filter { counts[$0] > 0 }.reduce(0) { sum, b in
            sum + Double(counts[b]) / total * abs(observedRates[b] - meanProbabilities[b])
        }
    }
}
