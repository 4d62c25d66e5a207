/// Percentile bootstrap 95% confidence intervals of a binary classifier's figures and of its
/// ROC curve, as `Training/metrics.py`'s `bootstrap_ci`: the images are resampled with
/// replacement `resamples` times and each figure's 2.5th and 97.5th percentiles are taken
/// (linear interpolation, resamples where a figure is undefined left out). The random
/// generator is seeded, so a rerun gives the same intervals.
public struct BootstrapIntervals: Sendable {
    public typealias Interval = (low: Double, high: Double)
    public var auroc: Interval
    public var accuracy: Interval
    public var sensitivity: Interval
    public var specificity: Interval
    public var ece: Interval
    /// False-positive rates at which the ROC band is given: 0, 0.01, ..., 1.
    public var rocGrid: [Double]
    /// Sensitivity's interval at each `rocGrid` value.
    public var rocLower: [Double]
    public var rocUpper: [Double]
    public var resamples: Int

    public init(labels: [Int], probabilities: [Double], threshold: Double, resamples: Int = 2000, seed: UInt64 = 0) {
        var generator = SplitMix64(seed: seed)
        let n = labels.count
        let grid = (0...100).map { Double($0) / 100 }
        var figures = [[Double]](repeating: [], count: 5)
        var curves = [[Double]](repeating: [], count: grid.count)
        var sampleLabels = [Int](repeating: 0, count: n), sampleProbabilities = [Double](repeating: 0, count: n)
        for _ in 0..<(n > 0 ? resamples : 0) {
            for k in 0..<n {
                let i = Int(generator.next() % UInt64(n))
                sampleLabels[k] = labels[i]
                sampleProbabilities[k] = probabilities[i]
            }
            let m = BinaryMetrics(labels: sampleLabels, probabilities: sampleProbabilities, threshold: threshold)
            for (index, value) in [m.auroc, m.accuracy, m.sensitivity, m.specificity, m.ece].enumerated() where !value.isNaN {
                figures[index].append(value)
            }
            if let curve = ROCCurve(labels: sampleLabels, scores: sampleProbabilities) {
                for (index, tpr) in curve.truePositiveRates(at: grid).enumerated() { curves[index].append(tpr) }
            }
        }
        let intervals = figures.map(Self.interval)
        (auroc, accuracy, sensitivity, specificity, ece) = (intervals[0], intervals[1], intervals[2], intervals[3], intervals[4])
        let band = curves.map(Self.interval)
        rocGrid = grid
        rocLower = band.map(\.low)
        rocUpper = band.map(\.high)
        self.resamples = resamples
    }

    /// The 2.5th and 97.5th percentiles, interpolated linearly as numpy's default.
    static func interval(_ values: [Double]) -> Interval {
        guard !values.isEmpty else { return (.nan, .nan) }
        let sorted = values.sorted()
        func percentile(_ q: Double) -> Double {
            let position = q / 100 * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
            return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
        }
        return (percentile(2.5), percentile(97.5))
    }
}

/// Steele, Lea and Flood's SplitMix64: a small, fast, seedable generator.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
