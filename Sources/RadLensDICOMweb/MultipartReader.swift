import Glibc

/// Splits a multipart/related body (RFC 2046, as WADO-RS sends instances) into its parts while
/// it streams in: each part's bytes go to the current sink as they arrive, holding back only as
/// many bytes as the delimiter is long. Memory stays bounded whatever the part sizes.
struct MultipartReader {
    enum State { case preamble, headers, body, done }

    /// "\r\n--boundary": what ends a part's body.
    private let delimiter: [UInt8]
    private var pending: [UInt8] = []
    private(set) var state = State.preamble
    private(set) var partCount = 0
    /// Called when a part starts, with its headers; returns the sink for its body bytes.
    private let startPart: ([String: String]) throws -> (UnsafeRawBufferPointer) throws -> Void
    private var sink: ((UnsafeRawBufferPointer) throws -> Void)?

    init(boundary: String, startPart: @escaping ([String: String]) throws -> (UnsafeRawBufferPointer) throws -> Void) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The body may start with the delimiter directly, without the preceding CRLF.
        pending = [0x0D, 0x0A]
        self.startPart = startPart
    }

    /// The boundary parameter of a multipart Content-Type, or nil.
    static func boundary(ofContentType contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { String($0).trimming(" \t") }
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimming("\"") }
        }
        return nil
    }

    mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(DICOMwebError) {
        pending.append(contentsOf: chunk)
        do {
            try process()
        } catch let error as DICOMwebError {
            throw error
        } catch {
            throw DICOMwebError(.io, "cannot store a retrieved part: \(error)")
        }
    }

    /// Checks that the body ended with the closing delimiter.
    func finish() throws(DICOMwebError) {
        guard state == .done else {
            throw DICOMwebError(.protocolViolation, "the multipart body ended early (truncated transfer; \(partCount) part(s) seen)")
        }
    }

    private mutating func process() throws {
        while true {
            switch state {
            case .preamble, .body:
                guard let at = find(delimiter, in: pending) else {
                    // Hand on all but a possible start of the delimiter.
                    let keep = delimiter.count - 1
                    if state == .body, pending.count > keep {
                        let count = pending.count - keep
                        try pending.withUnsafeBytes { try sink?(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                        pending.removeFirst(count)
                    } else if state == .preamble, pending.count > keep {
                        pending.removeFirst(pending.count - keep)
                    }
                    return
                }
                if state == .body { try pending.withUnsafeBytes { try sink?(UnsafeRawBufferPointer(rebasing: $0[0..<at])) } }
                pending.removeFirst(at)
                // After the delimiter: "--" closes the body, CRLF starts another part.
                guard pending.count >= delimiter.count + 2 else { return }
                let after = delimiter.count
                if pending[after] == 0x2D && pending[after + 1] == 0x2D {
                    state = .done
                    sink = nil
                    pending.removeAll()
                    return
                }
                pending.removeFirst(after)
                state = .headers
            case .headers:
                guard let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: pending) else {
                    if pending.count > 16_384 { throw DICOMwebError(.protocolViolation, "a part's headers exceed 16 KiB") }
                    return
                }
                var headers: [String: String] = [:]
                for line in String(decoding: pending[0..<end], as: UTF8.self).split(separator: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimming(" \t")
                }
                // The body follows; an empty one is followed at once by the delimiter's CRLF.
                pending.removeFirst(end + 4)
                partCount += 1
                sink = try startPart(headers)
                state = .body
            case .done:
                pending.removeAll()
                return
            }
        }
    }

    /// The offset of the first `needle` in `haystack` (memchr for its first byte, then memcmp).
    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        return haystack.withUnsafeBufferPointer { hay -> Int? in
            guard let base = hay.baseAddress else { return nil }
            var start = 0
            while start + needle.count <= hay.count {
                guard let hit = memchr(base + start, Int32(first), hay.count - needle.count + 1 - start) else { return nil }
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + at, needle, needle.count) == 0 { return at }
                start = at + 1
            }
            return nil
        }
    }
}
