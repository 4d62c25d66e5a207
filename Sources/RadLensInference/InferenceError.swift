/// Why a model could not be loaded or run. Descriptions name the file, node or input concerned.
public struct InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// The file is missing, unreadable, or not a valid ONNX protobuf.
        case invalidModel
        /// The model uses an operator, attribute, data type or opset RadLens does not implement.
        case unsupported
        /// Shapes do not fit together (in the model, or between the model and an input).
        case shapeMismatch
        /// Weights hold NaN or infinity.
        case invalidWeights
        /// The caller's input is wrong (missing, wrong name, wrong size).
        case invalidInput
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
