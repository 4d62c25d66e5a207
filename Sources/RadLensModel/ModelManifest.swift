import RadLensPreprocess

/// `manifest.json` of a model bundle: what the model is, how to feed it, how to read its output.
public struct ModelManifest: Sendable, Codable {
    public var schemaVersion: Int
    public var name: String
    public var version: String
    public var description: String?
    public var intendedUse: String
    public var model: ModelFile
    public var input: InputSpec
    public var preprocessing: PreprocessingSpec
    /// The positive label(s) the model scores (one logit each).
    public var labels: [Label]
    /// What a negative decision means.
    public var negativeLabel: LabelName
    /// Evaluation folder names mapped to label ids (e.g. NORMAL -> normal).
    public var folders: [String: String]
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
    }

    public struct Label: Sendable, Codable {
        public var id: String
        public var display: String
        public var displayZh: String?
        public var codes: [Code]
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
        public var weights: [Float]
        public var bias: Float
    }
}
