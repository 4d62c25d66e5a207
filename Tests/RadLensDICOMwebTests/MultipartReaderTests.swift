import Foundation
@testable import RadLensDICOMweb
import RadLensTestSupport
import Testing

/// The streaming multipart/related reader: the same parts whatever the chunking, bodies that
/// contain near-delimiters, and a clear error for a body cut short.
@Suite struct MultipartReaderTests {
    static let boundary = "b0undary-42"

    /// A body of `parts` as a server writes it (with a preamble and an epilogue).
    static func body(_ parts: [[UInt8]]) -> [UInt8] {
        var body = Array("preamble, to be ignored\r\n".utf8)
        for part in parts {
            body += Array("--\(boundary)\r\nContent-Type: application/dicom\r\nContent-Length: \(part.count)\r\n\r\n".utf8) + part + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\nepilogue".utf8)
    }

    /// Parts read back from `body` fed in chunks of `chunk` bytes.
    static func read(_ body: [UInt8], chunk: Int) throws -> (parts: [[UInt8]], headers: [[String: String]], reader: MultipartReader) {
        final class Collected { var parts: [[UInt8]] = []; var headers: [[String: String]] = [] }
        let collected = Collected()
        var reader = MultipartReader(boundary: boundary) { headers in
            collected.headers.append(headers)
            collected.parts.append([])
            return { bytes in collected.parts[collected.parts.count - 1] += bytes }
        }
        for start in stride(from: 0, to: body.count, by: chunk) {
            try Array(body[start..<min(body.count, start + chunk)]).withUnsafeBytes { try reader.feed($0) }
        }
        return (collected.parts, collected.headers, reader)
    }

    @Test func partsAreTheSameForEveryChunking() throws {
        var random = SplitMix(state: 7)
        // A body holding CRLF, "--" and a truncated delimiter, a large part and an empty one.
        let tricky = Array("\r\n--\(Self.boundary.dropLast())x\r\n--".utf8)
        let large = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let parts = [tricky, large, [], Array("DICM".utf8)]
        let body = Self.body(parts)
        for chunk in [1, 2, 3, 7, 13, 64, 1000, 16_384, body.count] {
            let read = try Self.read(body, chunk: chunk)
            let same = read.parts == parts // (not inside #expect, which would print 70 kB of operands)
            #expect(same, "chunks of \(chunk): part sizes \(read.parts.map(\.count)), expected \(parts.map(\.count))")
            #expect(read.headers.first?["content-type"] == "application/dicom")
            try read.reader.finish()
        }
    }

    @Test func aBodyCutShortIsAnError() throws {
        let body = Self.body([Array(repeating: 7, count: 5000)])
        let read = try Self.read(Array(body.prefix(3000)), chunk: 512)
        #expect(throws: DICOMwebError.self) { try read.reader.finish() }
    }

    @Test func theBoundaryComesFromTheContentType() {
        #expect(MultipartReader.boundary(ofContentType: "multipart/related; type=\"application/dicom\"; boundary=\"abc 1\"") == "abc 1")
        #expect(MultipartReader.boundary(ofContentType: "multipart/related;boundary=xyz;type=application/dicom") == "xyz")
        #expect(MultipartReader.boundary(ofContentType: "application/dicom") == nil)
    }
}
