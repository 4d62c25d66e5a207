import CCurl
import Glibc
import _RadLensCurlShim

/// One HTTP connection (a libcurl easy handle, kept alive between requests) that streams response
/// bodies to a closure chunk by chunk, so a large instance never sits whole in memory.
///
/// Why libcurl: it streams both ways, trusts the system's CAs (or `--ca-file`), reads netrc, and
/// runs synchronously on the calling thread, as the batch's workers do. FoundationNetworking's
/// URLSession on Linux holds whole bodies in memory; AsyncHTTPClient streams too but brings an
/// event loop and BoringSSL to build for what one blocking request at a time needs.
final class HTTPTransfer {
    struct Response {
        var status: Int
        /// Header names in lower case.
        var headers: [String: String]
    }

    private let handle: UnsafeMutableRawPointer
    private let configuration: DICOMwebConfiguration

    /// nil once libcurl is loaded and initialised, else why not.
    static let loadError: String? = {
        if let error = radlens_curl_load() { return String(cString: error) }
        _ = radlens_curl_global_init(radlens_curl_global_default)
        return nil
    }()

    init(configuration: DICOMwebConfiguration) throws(DICOMwebError) {
        if let error = Self.loadError {
            throw DICOMwebError(.configuration, "DICOMweb needs libcurl, which cannot be loaded (\(error)); install it: apt-get install libcurl4")
        }
        guard let handle = radlens_curl_easy_init() else { throw DICOMwebError(.configuration, "cannot start libcurl") }
        self.handle = handle
        self.configuration = configuration
    }

    deinit { radlens_curl_easy_cleanup(handle) }

    /// What the callbacks reach through their context pointer.
    private final class Exchange {
        let handle: UnsafeMutableRawPointer
        let receive: (UnsafeRawBufferPointer, Response) throws -> Void
        var headers: [String: String] = [:]
        var error: (any Error)?
        init(handle: UnsafeMutableRawPointer, receive: @escaping (UnsafeRawBufferPointer, Response) throws -> Void) {
            self.handle = handle
            self.receive = receive
        }
    }

    /// Performs one request; the response body goes to `receive` as it arrives, with the status
    /// and headers. An error thrown by `receive` aborts the transfer and is rethrown.
    func perform(_ method: String, _ url: String, headers: [String] = [], body: [UInt8]? = nil,
                 receive: @escaping (UnsafeRawBufferPointer, Response) throws -> Void) throws -> Response {
        radlens_curl_easy_reset(handle)
        let exchange = Exchange(handle: handle, receive: receive)
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers { list = radlens_curl_slist_append(list, header) }
        defer { radlens_curl_slist_free_all(list) }

        let code: CURLcode = withExtendedLifetime(exchange) {
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                radlens_curl_set_string(handle, CURLOPT_URL, url)
                radlens_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                radlens_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                radlens_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                radlens_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, configuration.connectTimeout)
                radlens_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                radlens_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, configuration.stallTimeout)
                radlens_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                if let caFile = configuration.caFile { radlens_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
                switch configuration.credentials {
                case .none: break
                case .basic(let user, let password):
                    radlens_curl_set_long(handle, CURLOPT_HTTPAUTH, radlens_curlauth_basic)
                    radlens_curl_set_string(handle, CURLOPT_USERNAME, user)
                    radlens_curl_set_string(handle, CURLOPT_PASSWORD, password)
                case .bearer(let token):
                    radlens_curl_set_long(handle, CURLOPT_HTTPAUTH, radlens_curlauth_bearer)
                    radlens_curl_set_string(handle, CURLOPT_XOAUTH2_BEARER, token)
                case .netrc(let file):
                    radlens_curl_set_long(handle, CURLOPT_NETRC, Int(CURL_NETRC_REQUIRED.rawValue))
                    radlens_curl_set_string(handle, CURLOPT_NETRC_FILE, file)
                }
                radlens_curl_set_list(handle, CURLOPT_HTTPHEADER, list)
                radlens_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
                radlens_curl_set_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                    let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
                    do {
                        let head = Response(status: radlens_curl_response_code(exchange.handle), headers: exchange.headers)
                        try exchange.receive(UnsafeRawBufferPointer(start: data, count: size * count), head)
                        return size * count
                    } catch {
                        exchange.error = error
                        return 0
                    }
                }
                radlens_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
                radlens_curl_set_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                    let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
                    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                    if line.hasPrefix("HTTP/") { exchange.headers = [:] } // a new response (after 100 Continue)
                    if let colon = line.firstIndex(of: ":") {
                        let name = line[..<colon].lowercased()
                        exchange.headers[name] = String(line[line.index(after: colon)...]).trimming(" \t\r\n")
                    }
                    return size * count
                }
                if method == "POST" { radlens_curl_set_long(handle, CURLOPT_POST, 1) }
                guard let body else { return radlens_curl_easy_perform(handle) }
                return body.withUnsafeBytes { bytes in
                    radlens_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    radlens_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
                    return radlens_curl_easy_perform(handle)
                }
            }
        }
        if let error = exchange.error { throw error }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? String(cString: radlens_curl_easy_strerror(code)) : detail
            throw DICOMwebError(Self.isConfigurationError(code) ? .configuration : .connection, "\(Self.redacted(url)): \(reason)")
        }
        return Response(status: radlens_curl_response_code(handle), headers: exchange.headers)
    }

    /// TLS trust and netrc problems: retrying does not help.
    private static func isConfigurationError(_ code: CURLcode) -> Bool {
        [CURLE_SSL_CACERT_BADFILE, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_UNSUPPORTED_PROTOCOL,
         CURLE_URL_MALFORMAT, CURLE_LOGIN_DENIED].contains(code)
    }

    /// `url` without a query string (which may name patients) for messages.
    static func redacted(_ url: String) -> String {
        url.firstIndex(of: "?").map { String(url[..<$0]) + "?..." } ?? url
    }
}

extension String {
    func trimming(_ set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}

/// Why DICOMweb cannot run on this machine (libcurl cannot be loaded), or nil when it can.
public var dicomwebUnavailableReason: String? { HTTPTransfer.loadError }
