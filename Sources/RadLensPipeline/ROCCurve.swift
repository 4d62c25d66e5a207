/// The ROC curve of scores against binary labels: one point per distinct score, from (0, 0)
/// (nothing called positive) to (1, 1) (everything called positive).
public struct ROCCurve: Sendable, Equatable {
    /// False-positive rates (1 - specificity), non-decreasing.
    public var falsePositiveRates: [Double]
    /// True-positive rates (sensitivity), non-decreasing.
    public var truePositiveRates: [Double]

    /// - Parameters: labels 1 positive / 0 negative; scores, higher meaning more positive.
    ///   Nil when either class is missing.
    public init?(labels: [Int], scores: [Double]) {
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var fpr = [0.0], tpr = [0.0]
        var tp = 0, fp = 0, k = 0
        while k < order.count {
            let score = scores[order[k]]
            while k < order.count && scores[order[k]] == score {
                if labels[order[k]] == 1 { tp += 1 } else { fp += 1 }
                k += 1
            }
            fpr.append(Double(fp) / Double(negatives))
            tpr.append(Double(tp) / Double(positives))
        }
        falsePositiveRates = fpr
        truePositiveRates = tpr
    }

    /// Sensitivity at each false-positive rate of `grid` (increasing), read off the curve with
    /// linear interpolation between its vertices; where the curve rises vertically at a grid
    /// value, the top of the rise.
    public func truePositiveRates(at grid: [Double]) -> [Double] {
        var i = 0
        return grid.map { x in
            while i + 1 < falsePositiveRates.count && falsePositiveRates[i + 1] <= x { i += 1 }
            guard i + 1 < falsePositiveRates.count, falsePositiveRates[i] < x else { return truePositiveRates[i] }
            let t = (x - falsePositiveRates[i]) / (falsePositiveRates[i + 1] - falsePositiveRates[i])
            return truePositiveRates[i] + t * (truePositiveRates[i + 1] - truePositiveRates[i])
        }
    }
}
