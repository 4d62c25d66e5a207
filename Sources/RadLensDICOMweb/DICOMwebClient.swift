import Foundation

/// The three DICOMweb services RadLens uses (PS3.18): QIDO-RS to search, WADO-RS to retrieve
/// instances (multipart/related, streamed to disk) and STOW-RS to store results. Transient
/// failures are retried with exponential backoff.
///
/// ```swift
/// let pacs = try DICOMwebClient(root: "https://pacs.example.org/dicom-web", configuration: .init())
/// for study in try pacs.searchStudies([("ModalitiesInStudy", "CR")]) { ... }
/// ```
public final class DICOMwebClient {
    /// The root URL, without a trailing slash.
    public let root: String
    private let configuration: DICOMwebConfiguration
    private let transfer: HTTPTransfer
    /// Results per QIDO page.
    public var pageSize = 200

    public init(root: String, configuration: DICOMwebConfiguration) throws(DICOMwebError) {
        var root = root
        while root.hasSuffix("/") { root.removeLast() }
        guard root.hasPrefix("http://") || root.hasPrefix("https://") else {
            throw DICOMwebError(.configuration, "\(root): a DICOMweb root must be an http:// or https:// URL")
        }
        let authority = root.split(separator: "/", maxSplits: 3).dropFirst().first ?? ""
        guard !authority.contains("@") else {
            throw DICOMwebError(.configuration, "credentials in the URL are not accepted: use RADLENS_DICOMWEB_USER and RADLENS_DICOMWEB_PASSWORD, RADLENS_DICOMWEB_TOKEN or --netrc")
        }
        self.root = root
        self.configuration = configuration
        transfer = try HTTPTransfer(configuration: configuration)
    }

    // MARK: QIDO-RS

    /// Studies matching `query` (attribute keyword or tag, value), all pages.
    public func searchStudies(_ query: [(String, String)]) throws(DICOMwebError) -> [DICOMwebObject] {
        try search(root + "/studies", query)
    }

    /// The instances of one study.
    public func searchInstances(study: String) throws(DICOMwebError) -> [DICOMwebObject] {
        try search(root + "/studies/\(study)/instances", [])
    }

    private func search(_ url: String, _ query: [(String, String)]) throws(DICOMwebError) -> [DICOMwebObject] {
        var results: [DICOMwebObject] = []
        while true {
            let parameters = query + [("limit", String(pageSize)), ("offset", String(results.count))]
            let page = url + "?" + parameters.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            let (response, body) = try collect("GET", page, headers: ["Accept: application/dicom+json"], limit: 64 << 20)
            guard response.status == 200 || response.status == 204 else { throw Self.failure(response, body, "QIDO-RS search \(HTTPTransfer.redacted(page))") }
            if response.status == 204 || body.isEmpty { break }
            guard let array = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
                throw DICOMwebError(.protocolViolation, "QIDO-RS search \(HTTPTransfer.redacted(page)): the answer is not a DICOM JSON array")
            }
            results += array.map(DICOMwebObject.init)
            if array.count < pageSize { break }
        }
        return results
    }

    // MARK: WADO-RS

    /// Retrieves one instance into `path` (through a temporary file renamed at the end, so `path`
    /// exists only when complete). Memory stays bounded: the body streams to disk.
    public func retrieveInstance(study: String, series: String, instance: String, to path: String) throws(DICOMwebError) {
        let url = root + "/studies/\(study)/series/\(series)/instances/\(instance)"
        let what = "WADO-RS retrieve of instance \(instance)"
        let temporary = path + ".part"
        defer { unlink(temporary) }
        try retrying { () throws(DICOMwebError) in
            guard let file = fopen(temporary, "wb") else { throw DICOMwebError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
            defer { fclose(file) }
            var reader: MultipartReader?
            var failureBody: [UInt8] = []
            var parts = 0
            let response: HTTPTransfer.Response
            do {
                response = try transfer.perform("GET", url, headers: ["Accept: multipart/related; type=\"application/dicom\"; transfer-syntax=*"]) { chunk, head in
                    guard head.status == 200 else {
                        failureBody += chunk.prefix(max(0, 4096 - failureBody.count))
                        return
                    }
                    if reader == nil {
                        let type = head.headers["content-type"] ?? ""
                        guard type.lowercased().hasPrefix("multipart/related"), let boundary = MultipartReader.boundary(ofContentType: type) else {
                            throw DICOMwebError(.protocolViolation, "\(what): expected multipart/related, got \(type.isEmpty ? "no Content-Type" : type)")
                        }
                        reader = MultipartReader(boundary: boundary) { _ in
                            parts += 1
                            guard parts == 1 else { throw DICOMwebError(.protocolViolation, "\(what): more than one part for one instance") }
                            return { bytes in
                                guard fwrite(bytes.baseAddress, 1, bytes.count, file) == bytes.count else {
                                    throw DICOMwebError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))")
                                }
                            }
                        }
                    }
                    try reader!.feed(chunk)
                }
            } catch let error as DICOMwebError {
                throw DICOMwebError(error.kind, error.kind == .connection ? "\(what): \(error.message)" : error.message, status: error.status)
            } catch {
                throw DICOMwebError(.io, "\(what): \(error)")
            }
            guard response.status == 200 else { throw Self.failure(response, failureBody, what) }
            guard let reader, parts == 1 else { throw DICOMwebError(.protocolViolation, "\(what): the answer holds no instance") }
            do throws(DICOMwebError) { try reader.finish() } catch { throw DICOMwebError(.connection, "\(what): \(error.message)") }
            guard fflush(file) == 0 else { throw DICOMwebError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        }
        guard rename(temporary, path) == 0 else { throw DICOMwebError(.io, "cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))") }
    }

    // MARK: STOW-RS

    /// Stores DICOM files into `study` (STOW-RS, one multipart request). Fails unless the server
    /// accepted every instance.
    public func store(_ files: [[UInt8]], study: String) throws(DICOMwebError) {
        let boundary = "radlens-" + UUID().uuidString
        var body: [UInt8] = []
        for file in files {
            body += Array("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8) + file + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        let url = root + "/studies/\(study)"
        let (response, answer) = try collect("POST", url, headers: [
            "Content-Type: multipart/related; type=\"application/dicom\"; boundary=\(boundary)",
            "Accept: application/dicom+json",
        ], body: body, limit: 1 << 20)
        guard response.status == 200 || response.status == 202 else { throw Self.failure(response, answer, "STOW-RS to study \(study)") }
        // A 202 (or a 200 from a lenient server) may still list failed instances (0008,1198).
        if let object = (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any] {
            let failed = DICOMwebObject(object).items("00081198")
            if !failed.isEmpty {
                let reasons = failed.map { "\($0.string("00081155") ?? "?"): failure reason \($0.string("00081197") ?? "?")" }
                throw DICOMwebError(.http, "STOW-RS to study \(study): the server refused \(reasons.joined(separator: ", "))", status: response.status)
            }
        }
    }

    // MARK: Plumbing

    /// A request whose answer is small enough to hold (searches, STOW answers), retried.
    private func collect(_ method: String, _ url: String, headers: [String], body: [UInt8]? = nil,
                         limit: Int) throws(DICOMwebError) -> (HTTPTransfer.Response, [UInt8]) {
        try retrying { () throws(DICOMwebError) in
            var answer: [UInt8] = []
            let response: HTTPTransfer.Response
            do {
                response = try transfer.perform(method, url, headers: headers, body: body) { chunk, _ in
                    guard answer.count + chunk.count <= limit else {
                        throw DICOMwebError(.protocolViolation, "\(HTTPTransfer.redacted(url)): the answer exceeds \(limit >> 20) MiB")
                    }
                    answer += chunk
                }
            } catch let error as DICOMwebError {
                throw error
            } catch {
                throw DICOMwebError(.io, "\(HTTPTransfer.redacted(url)): \(error)")
            }
            if response.status >= 500 || response.status == 429 {
                throw Self.failure(response, answer, "\(method) \(HTTPTransfer.redacted(url))")
            }
            return (response, answer)
        }
    }

    /// Runs `attempt`, retrying transient failures with exponential backoff.
    func retrying<T>(_ attempt: () throws(DICOMwebError) -> T) throws(DICOMwebError) -> T {
        var delay = configuration.backoff
        var tries = 0
        while true {
            do {
                return try attempt()
            } catch where error.isTransient && tries < configuration.retries {
                tries += 1
                usleep(useconds_t(delay * 1_000_000))
                delay *= 2
            } catch {
                guard error.isTransient else { throw error }
                throw DICOMwebError(error.kind, error.message + " (after \(tries + 1) attempts)", status: error.status)
            }
        }
    }

    /// The error for an unexpected status, with the start of the server's answer.
    static func failure(_ response: HTTPTransfer.Response, _ body: [UInt8], _ what: String) -> DICOMwebError {
        let text = String(decoding: body.prefix(300), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        let detail = text.isEmpty ? "" : ": \(text)"
        switch response.status {
        case 401, 403:
            return DICOMwebError(.authentication, "\(what): the server refused the credentials (HTTP \(response.status)); check RADLENS_DICOMWEB_USER and RADLENS_DICOMWEB_PASSWORD, RADLENS_DICOMWEB_TOKEN or --netrc", status: response.status)
        default:
            return DICOMwebError(.http, "\(what): HTTP \(response.status)\(detail)", status: response.status)
        }
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
