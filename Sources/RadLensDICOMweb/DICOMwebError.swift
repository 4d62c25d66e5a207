/// A DICOMweb request that failed: what was asked of which server, and why. Messages never hold
/// credentials.
public struct DICOMwebError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The server could not be reached or the connection dropped (retried first).
        case connection
        /// The server refused the credentials (HTTP 401 or 403).
        case authentication
        /// The server answered with an error status.
        case http
        /// The answer was not what DICOMweb specifies.
        case protocolViolation
        /// A local file could not be written or read.
        case io
        /// Bad configuration: URL, CA file, netrc.
        case configuration
    }

    public var kind: Kind
    public var message: String
    /// The HTTP status, when one arrived.
    public var status: Int?

    public init(_ kind: Kind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// Worth another try: a dropped or refused connection, a timeout, 5xx, 429.
    var isTransient: Bool {
        switch kind {
        case .connection: true
        case .http: status.map { $0 >= 500 || $0 == 429 } ?? false
        default: false
        }
    }
}
