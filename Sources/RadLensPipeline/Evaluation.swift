import Foundation
import Glibc
import RadLensImaging
import RadLensReport

/// `radlens evaluate`: the full Swift pipeline on a labelled folder (one sub-folder per class).
public struct Evaluation: Sendable, Codable {
    /// One image's outcome.
    public struct Prediction: Sendable, Codable {
        /// Path relative to the evaluated folder.
        public var path: String
        public var label: Int
        public var probability: Double
        /// Multiclass and multilabel heads: the true label (index into the manifest's labels), when known.
        public var trueClass: Int?
        /// Multiclass heads: every label's probability.
        public var classProbabilities: [Double]?
    }

    public var metrics: BinaryMetrics
    /// Multiclass heads: per-class figures on the images whose class is known.
    public var classMetrics: ClassMetrics?
    public var imagesPerSecond: Double
    public var predictions: [Prediction]
    /// Inputs that could not be analysed, with the reason.
    public var failures: [String]

    /// Runs `classifier` on every image under `directory`/<folder> for each folder the manifest maps.
    public static func run(directory: String, classifier: Classifier,
                           progress: ((Int, Int) -> Void)? = nil) throws(AnalysisError) -> Evaluation {
        let manifest = classifier.bundle.manifest
        // Positive: folders mapped to the first finding (or, for a group, to any of its members).
        let positiveIDs = manifest.head == nil ? Set(manifest.labels.map(\.id)) : classifier.head.primary.covers
        let labelIDs = manifest.labels.map(\.id)
        // Per-label figures for heads with several labels (multiclass: softmax shares; multilabel:
        // each sigmoid one-vs-rest against the image's folder or file-pattern label).
        let perLabel = manifest.head.map { $0.kind != .binary } ?? false
        var items: [(relative: String, label: Int, trueClass: Int?)] = []
        for (folder, labelID) in manifest.folders.sorted(by: { $0.key < $1.key }) {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(folder)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { continue }
            for name in names.sorted() where !name.hasPrefix(".") {
                // The class from the file name where the manifest says classes live there, else the folder's.
                let patterned = (manifest.filePatterns ?? [:]).sorted { $0.key < $1.key }.first { fnmatch($0.key, name, 0) == 0 }?.value
                let trueClass = perLabel ? labelIDs.firstIndex(of: patterned ?? labelID) : nil
                items.append(("\(folder)/\(name)", positiveIDs.contains(labelID) ? 1 : 0, trueClass))
            }
        }
        guard !items.isEmpty else {
            throw AnalysisError(.io, "\(directory): no images in sub-folders \(manifest.folders.keys.sorted().joined(separator: ", "))")
        }
        var predictions: [Prediction] = []
        var failures: [String] = []
        let start = ContinuousClock.now
        for (index, item) in items.enumerated() {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(item.relative).path
            do {
                let result = try classifier.classify(contentsOf: path)
                predictions.append(Prediction(path: item.relative, label: item.label, probability: Double(result.probability),
                                              trueClass: item.trueClass,
                                              classProbabilities: perLabel ? classifier.head.labelProbabilities(logits: result.logits).map(Double.init) : nil))
            } catch {
                failures.append(error.message)
            }
            progress?(index + 1, items.count)
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let metrics = BinaryMetrics(labels: predictions.map(\.label), probabilities: predictions.map(\.probability),
                                    threshold: Double(classifier.head.primaryRule.threshold))
        var classMetrics: ClassMetrics?
        let known = predictions.filter { $0.trueClass != nil && $0.classProbabilities != nil }
        if perLabel, !known.isEmpty {
            let pairs = (manifest.head?.groups ?? []).filter { $0.members.count == 2 }.compactMap { group -> (String, Int, Int)? in
                guard let first = labelIDs.firstIndex(of: group.members[0]), let second = labelIDs.firstIndex(of: group.members[1]) else { return nil }
                return ("\(group.members[0]) vs \(group.members[1])", first, second)
            }
            classMetrics = ClassMetrics(labels: labelIDs, truths: known.map { $0.trueClass! }, probabilities: known.map { $0.classProbabilities! }, pairs: pairs)
        }
        return Evaluation(metrics: metrics, classMetrics: classMetrics, imagesPerSecond: Double(items.count) / max(seconds, 1e-9),
                          predictions: predictions, failures: failures)
    }

    /// `path,label,probability` lines, as `Training/metrics.py` reads them.
    public var predictionsCSV: String {
        "path,label,probability\n" + predictions.map { "\($0.path),\($0.label),\(String(format: "%.9f", $0.probability))" }.joined(separator: "\n") + "\n"
    }
}
