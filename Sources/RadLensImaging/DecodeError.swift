/// Why an input could not be decoded. The description names the file and the reason.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for programs that sort errors.
    public enum Kind: String, Sendable, Codable {
        /// The file could not be opened or read.
        case unreadable
        /// The file is empty.
        case empty
        /// The content is no format RadLens reads.
        case unknownFormat
        /// The content claims a format but is damaged or truncated.
        case corrupt
        /// The image exceeds the configured pixel limit, or has a zero dimension.
        case badDimensions
        /// A valid file using a feature RadLens does not support.
        case unsupported
    }

    public var kind: Kind
    /// The path as the user gave it, or "<memory>".
    public var path: String
    /// A human-readable reason.
    public var reason: String

    public init(_ kind: Kind, path: String?, reason: String) {
        self.kind = kind
        self.path = path ?? "<memory>"
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
