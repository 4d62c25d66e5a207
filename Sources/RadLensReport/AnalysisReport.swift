import Foundation
import RadLensModel

/// The structured result of analysing one input: what every output format renders.
/// Its JSON form is versioned and described by `docs/schema/analysis-result.v2.schema.json`
/// (2.0: findings carry their kind, label, class or group, and a group its members; 1.0 had one
/// label per model).
public struct AnalysisReport: Sendable, Codable, Equatable {
    public static let currentSchemaVersion = "2.0"
    public static let disclaimer = "Research use only, not for diagnostic use."

    public enum Status: String, Sendable, Codable { case ok, error }

    public var schemaVersion = AnalysisReport.currentSchemaVersion
    public var status: Status
    public var input: InputInfo
    public var model: ModelInfo?
    public var findings: [Finding]
    public var quality: Quality
    /// The report text (in the requested language), when rendered.
    public var report: String?
    public var timingsMs: Timings
    public var provenance: Provenance
    public var error: ErrorInfo?
    public var disclaimer = AnalysisReport.disclaimer

    public init(status: Status, input: InputInfo, model: ModelInfo?, findings: [Finding], quality: Quality,
                timingsMs: Timings, provenance: Provenance, error: ErrorInfo? = nil) {
        self.status = status
        self.input = input
        self.model = model
        self.findings = findings
        self.quality = quality
        self.timingsMs = timingsMs
        self.provenance = provenance
        self.error = error
    }

    public struct InputInfo: Sendable, Codable, Equatable {
        /// The path as the user gave it.
        public var path: String
        public var sha256: String?
        public var format: String?
        public var width: Int?
        public var height: Int?
        /// Non-identifying study context from DICOM (modality, view, UIDs), when present.
        public var study: StudyInfo?

        public init(path: String, sha256: String? = nil, format: String? = nil, width: Int? = nil, height: Int? = nil, study: StudyInfo? = nil) {
            self.path = path
            self.sha256 = sha256
            self.format = format
            self.width = width
            self.height = height
            self.study = study
        }
    }

    /// DICOM attributes a report may carry; never patient identifiers.
    public struct StudyInfo: Sendable, Codable, Equatable {
        public var modality: String?
        public var bodyPart: String?
        public var viewPosition: String?
        public var pixelSpacing: [Double]?
        public var studyInstanceUID: String?
        public var seriesInstanceUID: String?
        public init(modality: String? = nil, bodyPart: String? = nil, viewPosition: String? = nil, pixelSpacing: [Double]? = nil,
                    studyInstanceUID: String? = nil, seriesInstanceUID: String? = nil) {
            self.modality = modality
            self.bodyPart = bodyPart
            self.viewPosition = viewPosition
            self.pixelSpacing = pixelSpacing
            self.studyInstanceUID = studyInstanceUID
            self.seriesInstanceUID = seriesInstanceUID
        }
    }

    public struct ModelInfo: Sendable, Codable, Equatable {
        public var name: String
        public var version: String
        public var sha256: String
        public init(name: String, version: String, sha256: String) {
            self.name = name
            self.version = version
            self.sha256 = sha256
        }
    }

    public struct Finding: Sendable, Codable, Equatable {
        /// What a finding is: a binary or multilabel output, a class of a softmax head, or a group of labels.
        public enum Kind: String, Sendable, Codable { case label, `class`, group }

        public var label: String
        public var kind: Kind?
        /// The label ids a group is made of.
        public var members: [String]?
        public var display: String
        /// The primary code (SNOMED CT when the manifest has one).
        public var code: ModelManifest.Code?
        public var codes: [ModelManifest.Code]
        public var probability: Double
        public var threshold: Double
        public var indeterminateLow: Double
        public var indeterminateHigh: Double
        public var decision: Decision
        /// Where the model looked, when a class activation map was computed.
        public var attention: Attention?

        public init(label: String, kind: Kind = .label, members: [String]? = nil, display: String, code: ModelManifest.Code?,
                    codes: [ModelManifest.Code], probability: Double, threshold: Double, indeterminateLow: Double, indeterminateHigh: Double,
                    decision: Decision, attention: Attention?) {
            self.label = label
            self.kind = kind
            self.members = members
            self.display = display
            self.code = code
            self.codes = codes
            self.probability = probability
            self.threshold = threshold
            self.indeterminateLow = indeterminateLow
            self.indeterminateHigh = indeterminateHigh
            self.decision = decision
            self.attention = attention
        }
    }

    /// Where a class activation map is strongest, in image coordinates.
    public struct Attention: Sendable, Codable, Equatable {
        /// upper, middle or lower third of the image.
        public var zone: String
        /// left, right or both halves of the image (image left, not patient left).
        public var side: String
        public init(zone: String, side: String) {
            self.zone = zone
            self.side = side
        }
    }

    public struct Quality: Sendable, Codable, Equatable {
        /// e.g. "out-of-distribution", "low-resolution".
        public var flags: [String]
        public var oodDistance: Double?
        public var oodThreshold: Double?
        public init(flags: [String] = [], oodDistance: Double? = nil, oodThreshold: Double? = nil) {
            self.flags = flags
            self.oodDistance = oodDistance
            self.oodThreshold = oodThreshold
        }
    }

    public struct Timings: Sendable, Codable, Equatable {
        public var decode: Double
        public var preprocess: Double
        public var inference: Double
        public var report: Double
        public var total: Double
        public init(decode: Double = 0, preprocess: Double = 0, inference: Double = 0, report: Double = 0, total: Double = 0) {
            self.decode = decode
            self.preprocess = preprocess
            self.inference = inference
            self.report = report
            self.total = total
        }
    }

    public struct Provenance: Sendable, Codable, Equatable {
        public var radlensVersion: String
        public var kernelLevel: String
        /// The engine's arithmetic: "fp32" or "fast" (Winograd convolutions).
        public var precision: String
        /// ISO 8601 time of the analysis.
        public var generatedAt: String
        public init(radlensVersion: String, kernelLevel: String, precision: String, generatedAt: String) {
            self.radlensVersion = radlensVersion
            self.kernelLevel = kernelLevel
            self.precision = precision
            self.generatedAt = generatedAt
        }
    }

    public struct ErrorInfo: Sendable, Codable, Equatable {
        public var kind: String
        public var message: String
        public init(kind: String, message: String) {
            self.kind = kind
            self.message = message
        }
    }
}
