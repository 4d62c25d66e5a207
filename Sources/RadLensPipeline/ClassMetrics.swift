/// Figures of a multiclass (or multilabel) head on images whose class is known: accuracy of the top class, the
/// N x N confusion matrix, one-vs-rest AUROC, sensitivity and specificity per class, their macro
/// mean, and for each two-member group the AUROC within it (e.g. bacterial vs viral among the
/// pneumonia images, scored p(first) / (p(first) + p(second))).
public struct ClassMetrics: Sendable, Codable, Equatable {
    public struct PerClass: Sendable, Codable, Equatable {
        public var label: String
        public var n: Int
        public var auroc: Double
        public var sensitivity: Double
        public var specificity: Double
    }

    public struct WithinGroup: Sendable, Codable, Equatable {
        /// "first vs second".
        public var name: String
        public var n: Int
        public var auroc: Double
        public var accuracy: Double
    }

    public var n: Int
    public var accuracy: Double
    /// Rows: true class; columns: top class.
    public var confusion: [[Int]]
    public var classes: [PerClass]
    public var macroAUROC: Double
    public var withinGroups: [WithinGroup]

    /// - Parameters: truths, class indices; probabilities, one row per image over `labels`;
    ///   pairs, two-member groups as label indices.
    public init(labels: [String], truths: [Int], probabilities: [[Double]], pairs: [(String, Int, Int)]) {
        let k = labels.count, count = truths.count
        n = count
        let tops = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        accuracy = count == 0 ? .nan : Double(zip(truths, tops).filter { $0 == $1 }.count) / Double(count)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (truth, top) in zip(truths, tops) { confusion[truth][top] += 1 }
        self.confusion = confusion
        classes = (0..<k).map { c in
            let binary = truths.map { $0 == c ? 1 : 0 }
            let auroc = BinaryMetrics.auroc(labels: binary, scores: probabilities.map { $0[c] })
            let positives = binary.filter { $0 == 1 }.count, negatives = count - positives
            let hits = zip(truths, tops).filter { $0 == c && $1 == c }.count
            let rejections = zip(truths, tops).filter { $0 != c && $1 != c }.count
            return PerClass(label: labels[c], n: positives, auroc: auroc,
                            sensitivity: positives == 0 ? .nan : Double(hits) / Double(positives),
                            specificity: negatives == 0 ? .nan : Double(rejections) / Double(negatives))
        }
        let defined = classes.map(\.auroc).filter { !$0.isNaN }
        macroAUROC = defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
        withinGroups = pairs.map { name, first, second in
            let members = truths.indices.filter { truths[$0] == first || truths[$0] == second }
            let binary = members.map { truths[$0] == first ? 1 : 0 }
            let scores = members.map { probabilities[$0][first] / max(probabilities[$0][first] + probabilities[$0][second], 1e-300) }
            let correct = zip(binary, scores).filter { ($1 >= 0.5) == ($0 == 1) }.count
            return WithinGroup(name: name, n: members.count, auroc: BinaryMetrics.auroc(labels: binary, scores: scores),
                               accuracy: members.isEmpty ? .nan : Double(correct) / Double(members.count))
        }
    }
}
