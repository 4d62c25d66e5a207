/// Figures of a binary classifier on labelled data, defined exactly as `Training/metrics.py`.
public struct BinaryMetrics: Sendable, Codable, Equatable {
    public var n: Int
    public var auroc: Double
    public var accuracy: Double
    public var sensitivity: Double
    public var specificity: Double
    /// [[tn, fp], [fn, tp]].
    public var confusion: [[Int]]
    /// Expected calibration error, 15 equal-width bins on the positive probability.
    public var ece: Double
    public var threshold: Double

    /// - Parameters: labels 1 positive / 0 negative; probabilities of the positive class;
    ///   predicted positive when probability >= threshold.
    public init(labels: [Int], probabilities: [Double], threshold: Double) {
        n = labels.count
        self.threshold = threshold
        var tn = 0, fp = 0, fn = 0, tp = 0
        for (label, p) in zip(labels, probabilities) {
            let predicted = p >= threshold
            switch (label == 1, predicted) {
            case (true, true): tp += 1
            case (true, false): fn += 1
            case (false, true): fp += 1
            case (false, false): tn += 1
            }
        }
        confusion = [[tn, fp], [fn, tp]]
        accuracy = n > 0 ? Double(tp + tn) / Double(n) : .nan
        sensitivity = tp + fn > 0 ? Double(tp) / Double(tp + fn) : .nan
        specificity = tn + fp > 0 ? Double(tn) / Double(tn + fp) : .nan
        auroc = Self.auroc(labels: labels, scores: probabilities)
        ece = Self.ece(labels: labels, probabilities: probabilities, bins: 15)
    }

    /// Mann-Whitney U / (positives x negatives), ties counted one half (average ranks).
    static func auroc(labels: [Int], scores: [Double]) -> Double {
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let average = Double(start + end) / 2 + 1
            for k in start...end { ranks[order[k]] = average }
            start = end + 1
        }
        let positiveRanks = zip(labels, ranks).filter { $0.0 == 1 }.reduce(0) { $0 + $1.1 }
        return (positiveRanks - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    static func ece(labels: [Int], probabilities: [Double], bins: Int) -> Double {
        CalibrationBins(labels: labels, probabilities: probabilities, bins: bins).expectedCalibrationError
    }
}
