extension ModelHead {
    /// The class activation weights (one per feature-map channel) behind each finding of
    /// `scores(logits:)`, in the same order; nil for a finding the bundle cannot explain.
    ///
    /// With the manifest's `cam.logitWeights` (the whole final layer): a sigmoid label uses its
    /// own row; a softmax class its row minus the mean of the other classes' rows (softmax only
    /// sees differences between logits, so this is the map of its log-odds against the others);
    /// a softmax group the mean of its members' rows minus the mean of the rest; a multilabel
    /// group the row of its most probable member (the maximum decides its probability).
    /// Without `logitWeights`, `cam.weights` explains the first finding only.
    public func activationWeights(logits: [Float]) -> [[Float]?] {
        let head = manifest.head ?? ModelManifest.Head(kind: .binary)
        let groups = head.groups ?? []
        let reported = manifest.labels.indices.filter { kind != .multiclass || manifest.labels[$0].id != head.referenceClass }
        let findings = groups.count + reported.count
        guard let cam = manifest.cam else { return Array(repeating: nil, count: findings) }
        guard let rows = cam.logitWeights, rows.count == logitCount, Set(rows.map(\.count)) == [cam.weights.count] else {
            return [cam.weights] + Array(repeating: nil, count: max(findings - 1, 0))
        }
        let index = Dictionary(uniqueKeysWithValues: manifest.labels.enumerated().map { ($1.id, $0) })
        let probabilities = labelProbabilities(logits: logits)
        func mean(_ members: [Int]) -> [Float] {
            var total = [Float](repeating: 0, count: cam.weights.count)
            for m in members { for c in total.indices { total[c] += rows[m][c] } }
            return total.map { $0 / Float(max(members.count, 1)) }
        }
        func contrast(_ members: [Int]) -> [Float] {
            let others = rows.indices.filter { !members.contains($0) }
            guard !others.isEmpty else { return mean(members) }
            return zip(mean(members), mean(others)).map { $0 - $1 }
        }
        let groupWeights = groups.map { group -> [Float]? in
            let members = group.members.compactMap { index[$0] }
            if kind == .multiclass { return contrast(members) }
            return members.max { probabilities[$0] < probabilities[$1] }.map { rows[$0] }
        }
        let labelWeights = reported.map { i -> [Float]? in kind == .multiclass ? contrast([i]) : rows[i] }
        return groupWeights + labelWeights
    }
}
