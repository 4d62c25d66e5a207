import RadLensPreprocess

/// `manifest.json` of a model bundle: what the model is, how to feed it, how to read its output.
/// Schema 1 bundles have one logit (a binary head); schema 2 adds `head` (binary, multilabel,
/// multiclass, and groups of labels reported as findings of their own).
public struct ModelManifest: Sendable, Codable {
    public var schemaVersion: Int
    public var name: String
    public var version: String
    public var description: String?
    public var intendedUse: String
    /// One sentence on who the model was trained on, for the report's closing line (and in Chinese).
    public var trainingPopulation: String?
    public var trainingPopulationZh: String?
    public var model: ModelFile
    public var input: InputSpec
    public var preprocessing: PreprocessingSpec
    /// The labels the model scores, in logit order: the positive label (binary), one per sigmoid
    /// (multilabel), every class (multiclass).
    public var labels: [Label]
    /// How logits become findings; nil means binary (schema 1).
    public var head: Head?
    /// What a negative decision means.
    public var negativeLabel: LabelName?
    /// Evaluation folder names mapped to label or group ids (e.g. NORMAL -> normal).
    public var folders: [String: String]
    /// Evaluation file-name globs mapped to label ids, for classes that live in names
    /// (`*_bacteria_*` -> bacterial); they take precedence over `folders`.
    public var filePatterns: [String: String]?
    public var calibration: Calibration
    public var decision: DecisionRule
    public var ood: OutOfDistribution?
    public var cam: ClassActivation?

    public struct ModelFile: Sendable, Codable {
        public var file: String
        public var sha256: String
        public var logitsOutput: String
        public var featuresOutput: String?
        public var featureMapOutput: String?
    }

    public struct InputSpec: Sendable, Codable {
        public var name: String
        public var channels: Int
        public var height: Int
        public var width: Int
    }

    /// A coded concept (SNOMED CT, RadLex).
    public struct Code: Sendable, Codable, Equatable {
        public var system: String
        public var code: String
        public var display: String

        public init(system: String, code: String, display: String) {
            self.system = system
            self.code = code
            self.display = display
        }
    }

    public struct Label: Sendable, Codable {
        public var id: String
        public var display: String
        public var displayZh: String?
        public var codes: [Code]
        /// Multilabel: this label's temperature (else `calibration.temperature`).
        public var temperature: Float?
        /// Multilabel: this label's decision band (else `decision`).
        public var decision: DecisionRule?

        public init(id: String, display: String, displayZh: String? = nil, codes: [Code] = [], temperature: Float? = nil, decision: DecisionRule? = nil) {
            self.id = id
            self.display = display
            self.displayZh = displayZh
            self.codes = codes
            self.temperature = temperature
            self.decision = decision
        }
    }

    /// The output head (schema 2).
    public struct Head: Sendable, Codable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            /// One logit; p = sigmoid(logit / T).
            case binary
            /// One sigmoid per label, each with its own temperature and decision band.
            case multilabel
            /// Softmax over the labels; the top class is the answer.
            case multiclass
        }

        public var kind: Kind
        /// Multiclass: the top class is positive when its probability reaches this, else
        /// indeterminate; the other classes are negative.
        public var confidence: Float?
        /// Multiclass: the class that is no finding (e.g. "normal"): scored, not reported.
        public var referenceClass: String?
        /// Labels reported together as a finding of their own (pneumonia = bacterial + viral).
        public var groups: [Group]?

        public init(kind: Kind, confidence: Float? = nil, referenceClass: String? = nil, groups: [Group]? = nil) {
            self.kind = kind
            self.confidence = confidence
            self.referenceClass = referenceClass
            self.groups = groups
        }
    }

    /// A group finding: probability = sum of its members' (multiclass) or their largest
    /// (multilabel), decided by its own band (else `decision`).
    public struct Group: Sendable, Codable {
        public var id: String
        public var display: String
        public var displayZh: String?
        public var codes: [Code]
        public var members: [String]
        public var decision: DecisionRule?
    }

    public struct LabelName: Sendable, Codable {
        public var id: String
        public var display: String
        public var displayZh: String?
    }

    /// probability = sigmoid(logit / temperature).
    public struct Calibration: Sendable, Codable {
        public var method: String
        public var temperature: Float
    }

    /// Positive at or above `indeterminateHigh`, negative below `indeterminateLow`, indeterminate
    /// between; `threshold` (inside the band) is the binary cut used for accuracy figures.
    public struct DecisionRule: Sendable, Codable {
        public var threshold: Float
        public var indeterminateLow: Float
        public var indeterminateHigh: Float
        public var rule: String?

        public init(threshold: Float, indeterminateLow: Float, indeterminateHigh: Float, rule: String? = nil) {
            self.threshold = threshold
            self.indeterminateLow = indeterminateLow
            self.indeterminateHigh = indeterminateHigh
            self.rule = rule
        }
    }

    /// Mahalanobis distance of the pooled features from the training distribution.
    public struct OutOfDistribution: Sendable, Codable {
        public var method: String
        public var mean: [Float]
        /// The inverse covariance (C x C, float32 little-endian .npy) in the bundle folder.
        public var precisionFile: String
        public var threshold: Float
        public var rule: String?
    }

    /// Weights of the final linear layer, for class activation maps.
    public struct ClassActivation: Sendable, Codable {
        /// The first finding's weights (all a bundle without `logitWeights` explains).
        public var weights: [Float]
        public var bias: Float
        /// The whole layer, one row per logit in label order: a map for every finding.
        public var logitWeights: [[Float]]?

        public init(weights: [Float], bias: Float, logitWeights: [[Float]]? = nil) {
            self.weights = weights
            self.bias = bias
            self.logitWeights = logitWeights
        }
    }
}
