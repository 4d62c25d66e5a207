import Crypto
import Foundation
import RadLensPreprocess

/// Writes a new model bundle around a user's ONNX model (`radlens model init`): a schema 2
/// manifest, a copy of the model, and report templates, so that analyze, batch and evaluate
/// accept the folder as it is.
public struct BundleWriter {
    /// What the ONNX file says about itself.
    public struct ModelFacts {
        public var inputName: String
        public var channels: Int
        public var height: Int
        public var width: Int
        /// The first output (the logits) and the number of values it holds per image, if static.
        public var logitsOutput: String
        public var logitCount: Int?
        /// The feature-map output and final-layer weights, when the graph ends in pooling and a
        /// linear layer (class activation maps).
        public var classActivation: (featureMapOutput: String, weights: ModelManifest.ClassActivation)?

        public init(inputName: String, channels: Int, height: Int, width: Int, logitsOutput: String, logitCount: Int?,
                    classActivation: (featureMapOutput: String, weights: ModelManifest.ClassActivation)? = nil) {
            self.inputName = inputName
            self.channels = channels
            self.height = height
            self.width = width
            self.logitsOutput = logitsOutput
            self.logitCount = logitCount
            self.classActivation = classActivation
        }
    }

    public var kind: ModelManifest.Head.Kind
    public var labels: [String]
    public var mean: [Float]
    public var std: [Float]
    public var scale: PreprocessingSpec.Scale
    public var keepAspect: Bool
    /// Multiclass: the class that is no finding.
    public var referenceClass: String?
    /// Groups: id and members.
    public var groups: [(id: String, members: [String])]

    public init(kind: ModelManifest.Head.Kind, labels: [String], mean: [Float], std: [Float], scale: PreprocessingSpec.Scale,
                keepAspect: Bool, referenceClass: String?, groups: [(id: String, members: [String])]) {
        self.kind = kind
        self.labels = labels
        self.mean = mean
        self.std = std
        self.scale = scale
        self.keepAspect = keepAspect
        self.referenceClass = referenceClass
        self.groups = groups
    }

    /// The manifest for `model` (its bytes) with `facts`; throws when the pieces disagree.
    public func manifest(name: String, model: Data, facts: ModelFacts) throws(BundleError) -> ModelManifest {
        let expected = kind == .binary ? 1 : labels.count
        if let count = facts.logitCount, count != expected {
            throw BundleError("output \(facts.logitsOutput) has \(count) values per image; a \(kind.rawValue) head with \(labels.count) label(s) needs \(expected)")
        }
        let labelEntries = labels.map { ModelManifest.Label(id: $0, display: Self.display($0)) }
        let head = ModelManifest.Head(kind: kind, confidence: kind == .multiclass ? 0.5 : nil, referenceClass: referenceClass,
                                      groups: groups.isEmpty ? nil : groups.map {
                                          ModelManifest.Group(id: $0.id, display: Self.display($0.id), displayZh: nil, codes: [], members: $0.members, decision: nil)
                                      })
        let preprocessing = PreprocessingSpec(scale: scale, resize: ResizeSpec(width: facts.width, height: facts.height, keepAspect: keepAspect),
                                              mean: mean, std: std)
        do {
            try preprocessing.validate(channels: facts.channels)
        } catch {
            throw BundleError(error.description)
        }
        let manifest = ModelManifest(
            schemaVersion: 2, name: name, version: "0.1.0", description: "Made by radlens model init; describe the model here.",
            intendedUse: "Research use only, not for diagnostic use. State the population, modality and views this model was validated on.",
            model: .init(file: "model.onnx", sha256: ModelBundle.sha256(model), logitsOutput: facts.logitsOutput,
                         featureMapOutput: facts.classActivation?.featureMapOutput),
            input: .init(name: facts.inputName, channels: facts.channels, height: facts.height, width: facts.width),
            preprocessing: preprocessing, labels: labelEntries, head: head, negativeLabel: nil,
            folders: Dictionary(uniqueKeysWithValues: labels.map { ($0, $0) }),
            calibration: .init(method: "temperature", temperature: 1),
            decision: .init(threshold: 0.5, indeterminateLow: 0.25, indeterminateHigh: 0.75,
                            rule: "RadLens defaults (uncalibrated): positive at p >= 0.75, negative below 0.25, indeterminate between; set your own"),
            cam: facts.classActivation?.weights)
        _ = try ModelHead(manifest)
        return manifest
    }

    /// Writes `manifest`, the model and the templates of `templates` (a folder) into `directory`.
    public static func write(_ manifest: ModelManifest, model: Data, templates: URL?, to directory: URL) throws(BundleError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard !FileManager.default.fileExists(atPath: directory.appendingPathComponent("manifest.json").path) else {
                throw BundleError("\(directory.path) already holds a manifest.json; choose an empty folder")
            }
            try model.write(to: directory.appendingPathComponent("model.onnx"), options: .atomic)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try (encoder.encode(manifest) + Data("\n".utf8)).write(to: directory.appendingPathComponent("manifest.json"), options: .atomic)
            if let templates {
                let target = directory.appendingPathComponent("templates")
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                for name in try FileManager.default.contentsOfDirectory(atPath: templates.path) where name.hasSuffix(".mustache") {
                    try FileManager.default.copyItem(at: templates.appendingPathComponent(name), to: target.appendingPathComponent(name))
                }
            }
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError("\(directory.path): cannot write the bundle (\(error.localizedDescription))")
        }
    }

    /// "pleural_effusion" -> "Pleural effusion".
    static func display(_ id: String) -> String {
        let words = id.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }
}
