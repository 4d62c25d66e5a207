/// How to reach a DICOMweb server: credentials, TLS trust, timeouts and retries.
///
/// Credentials come from the environment or a netrc file (the CLI reads them); never from the
/// command line, and they appear in no message or log.
public struct DICOMwebConfiguration: Sendable {
    public enum Credentials: Sendable {
        case none
        /// HTTP basic authentication.
        case basic(user: String, password: String)
        /// An OAuth 2 bearer token.
        case bearer(String)
        /// Looked up per host in a netrc file.
        case netrc(file: String)
    }

    public var credentials: Credentials
    /// PEM file of the CA(s) to trust instead of the system's (a hospital CA).
    public var caFile: String?
    /// Seconds to wait for a connection.
    public var connectTimeout: Int
    /// A transfer slower than 1 byte/s for this many seconds is abandoned.
    public var stallTimeout: Int
    /// Further attempts after a transient failure (dropped connection, timeout, 5xx, 429).
    public var retries: Int
    /// Seconds before the first retry; doubled for each further one.
    public var backoff: Double

    public init(credentials: Credentials = .none, caFile: String? = nil, connectTimeout: Int = 10, stallTimeout: Int = 60,
                retries: Int = 3, backoff: Double = 0.5) {
        self.credentials = credentials
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
        self.retries = retries
        self.backoff = backoff
    }

    /// Credentials from RADLENS_DICOMWEB_TOKEN (bearer) or RADLENS_DICOMWEB_USER and
    /// RADLENS_DICOMWEB_PASSWORD (basic), else `netrc`, else none.
    public static func credentials(environment: [String: String], netrc: String?) throws(DICOMwebError) -> Credentials {
        let user = environment["RADLENS_DICOMWEB_USER"], password = environment["RADLENS_DICOMWEB_PASSWORD"]
        if let token = environment["RADLENS_DICOMWEB_TOKEN"], !token.isEmpty {
            guard user == nil && password == nil else {
                throw DICOMwebError(.configuration, "set either RADLENS_DICOMWEB_TOKEN or RADLENS_DICOMWEB_USER and _PASSWORD, not both")
            }
            return .bearer(token)
        }
        switch (user, password) {
        case let (user?, password?): return .basic(user: user, password: password)
        case (.some, nil): throw DICOMwebError(.configuration, "RADLENS_DICOMWEB_USER is set but RADLENS_DICOMWEB_PASSWORD is not")
        case (nil, .some): throw DICOMwebError(.configuration, "RADLENS_DICOMWEB_PASSWORD is set but RADLENS_DICOMWEB_USER is not")
        case (nil, nil): return netrc.map { .netrc(file: $0) } ?? .none
        }
    }
}
