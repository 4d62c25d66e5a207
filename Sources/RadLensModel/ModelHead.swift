import Foundation

/// How a model's logits become scored findings, as the manifest's head says: binary (one
/// sigmoid), multilabel (a sigmoid per label, each with its own temperature and band),
/// multiclass (softmax; the top class decides, with a confidence band), plus group findings.
///
/// ```swift
/// let head = try ModelHead(manifest)
/// for score in head.scores(logits: [0.3, 2.1, -0.4]) { print(score.id, score.probability, score.decision) }
/// ```
public struct ModelHead: Sendable {
    /// One finding with its calibrated probability and decision.
    public struct Score: Sendable {
        public var id: String
        public var display: String
        public var codes: [ModelManifest.Code]
        public var probability: Float
        /// The band the decision applied.
        public var rule: ModelManifest.DecisionRule
        public var decision: Decision
        /// True for a group of labels.
        public var isGroup: Bool
        /// A group's label ids.
        public var members: [String] = []
    }

    public let kind: ModelManifest.Head.Kind
    let manifest: ModelManifest

    /// Checks that the head fits the manifest's labels.
    public init(_ manifest: ModelManifest) throws(BundleError) {
        let head = manifest.head ?? ModelManifest.Head(kind: .binary)
        kind = head.kind
        self.manifest = manifest
        let ids = Set(manifest.labels.map(\.id))
        guard !manifest.labels.isEmpty, ids.count == manifest.labels.count else {
            throw BundleError("manifest labels must be non-empty with distinct ids")
        }
        switch kind {
        case .binary:
            guard manifest.labels.count == 1 else { throw BundleError("a binary head scores one label; the manifest has \(manifest.labels.count)") }
        case .multiclass:
            guard manifest.labels.count >= 2 else { throw BundleError("a multiclass head needs two classes or more") }
            if let reference = head.referenceClass, !ids.contains(reference) {
                throw BundleError("referenceClass \"\(reference)\" is not a label")
            }
            if let confidence = head.confidence, !(0...1).contains(confidence) { throw BundleError("confidence must lie in [0, 1]") }
        case .multilabel:
            break
        }
        for group in head.groups ?? [] {
            guard !group.members.isEmpty, group.members.allSatisfy(ids.contains) else {
                throw BundleError("group \"\(group.id)\": members must be labels of the manifest")
            }
        }
        guard manifest.calibration.temperature > 0, manifest.labels.allSatisfy({ ($0.temperature ?? 1) > 0 }) else {
            throw BundleError("temperatures must be positive")
        }
    }

    /// The first finding (what binary evaluation scores) and the label ids it stands for: a
    /// group and its members, or the first reported label.
    public var primary: (id: String, covers: Set<String>) {
        let head = manifest.head ?? ModelManifest.Head(kind: .binary)
        if let group = head.groups?.first { return (group.id, Set(group.members + [group.id])) }
        let first = manifest.labels.first { $0.id != head.referenceClass } ?? manifest.labels[0]
        return (first.id, [first.id])
    }

    /// The decision band of the first finding (its threshold is the cut for accuracy figures).
    public var primaryRule: ModelManifest.DecisionRule {
        let head = manifest.head ?? ModelManifest.Head(kind: .binary)
        if let group = head.groups?.first { return group.decision ?? manifest.decision }
        return manifest.labels.first { $0.id == primary.id }?.decision ?? manifest.decision
    }

    /// The calibrated probability of every label in manifest order (a multiclass reference
    /// class included): softmax for multiclass, sigmoids otherwise.
    public func labelProbabilities(logits: [Float]) -> [Float] {
        let temperature = manifest.calibration.temperature
        guard kind == .multiclass else {
            return manifest.labels.indices.map { 1 / (1 + exp(-logits[$0] / (manifest.labels[$0].temperature ?? temperature))) }
        }
        let scaled = logits.prefix(manifest.labels.count).map { $0 / temperature }
        let top = scaled.max() ?? 0
        let exponentials = scaled.map { exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// Logits the model must output.
    public var logitCount: Int { kind == .binary ? 1 : manifest.labels.count }

    /// The findings for `logits` (at least `logitCount` values): groups first, then the labels
    /// (without a multiclass reference class).
    public func scores(logits: [Float]) -> [Score] {
        let head = manifest.head ?? ModelManifest.Head(kind: .binary)
        var probabilities: [Float]
        var labelScores: [Score]
        switch kind {
        case .binary, .multilabel:
            probabilities = labelProbabilities(logits: logits)
            labelScores = manifest.labels.indices.map { i in
                let rule = manifest.labels[i].decision ?? manifest.decision
                return Score(id: manifest.labels[i].id, display: manifest.labels[i].display, codes: manifest.labels[i].codes,
                             probability: probabilities[i], rule: rule, decision: Decision(probability: probabilities[i], rule: rule), isGroup: false)
            }
        case .multiclass:
            probabilities = labelProbabilities(logits: logits)
            let winner = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
            let confidence = head.confidence ?? 0.5
            let rule = ModelManifest.DecisionRule(threshold: confidence, indeterminateLow: confidence, indeterminateHigh: confidence,
                                                  rule: "top class positive at p >= \(confidence), indeterminate below; others negative")
            labelScores = manifest.labels.indices.map { i in
                let decision: Decision = i != winner ? .negative : probabilities[i] >= confidence ? .positive : .indeterminate
                return Score(id: manifest.labels[i].id, display: manifest.labels[i].display, codes: manifest.labels[i].codes,
                             probability: probabilities[i], rule: rule, decision: decision, isGroup: false)
            }
            labelScores.removeAll { $0.id == head.referenceClass }
        }
        let groupScores = (head.groups ?? []).map { group -> Score in
            let members = group.members.compactMap { id in manifest.labels.firstIndex { $0.id == id } }.map { probabilities[$0] }
            let probability = kind == .multiclass ? min(1, members.reduce(0, +)) : members.max() ?? 0
            let rule = group.decision ?? manifest.decision
            return Score(id: group.id, display: group.display, codes: group.codes, probability: probability, rule: rule,
                         decision: Decision(probability: probability, rule: rule), isGroup: true, members: group.members)
        }
        return groupScores + labelScores
    }
}
