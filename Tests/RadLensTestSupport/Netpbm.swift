import Foundation

/// A PNM/PAM image as written by `djpeg -pnm` or `pngtopam -alphapam`: the independent reference.
public struct NetpbmImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var depth: Int
    public var maxval: Int
    /// The raw sample bytes (big-endian pairs when maxval > 255).
    public var payload: [UInt8]

    /// Sample `index` (row-major, interleaved).
    public func sample(_ index: Int) -> Int {
        maxval < 256 ? Int(payload[index]) : Int(payload[2 * index]) << 8 | Int(payload[2 * index + 1])
    }

    /// True when the 8-bit payload equals `samples` byte for byte.
    public func equals(_ samples: [UInt8]) -> Bool {
        guard maxval < 256, samples.count == payload.count else { return false }
        return samples.withUnsafeBytes { a in payload.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
    }

    /// Parses P5 (PGM), P6 (PPM) and P7 (PAM), 8- or 16-bit (big-endian) samples.
    public init(_ data: Data) throws {
        let bytes = [UInt8](data)
        var index = 0
        func token() -> String {
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "#") {
                    while index < bytes.count && bytes[index] != 10 { index += 1 }
                } else if [9, 10, 13, 32].contains(bytes[index]) {
                    index += 1
                } else { break }
            }
            let start = index
            while index < bytes.count && ![9, 10, 13, 32].contains(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        let magic = token()
        switch magic {
        case "P5", "P6":
            width = Int(token())!; height = Int(token())!; maxval = Int(token())!
            depth = magic == "P5" ? 1 : 3
        case "P7":
            var fields: [String: String] = [:]
            while true {
                let key = token()
                if key == "ENDHDR" { break }
                fields[key] = token()
            }
            width = Int(fields["WIDTH"]!)!; height = Int(fields["HEIGHT"]!)!
            depth = Int(fields["DEPTH"]!)!; maxval = Int(fields["MAXVAL"]!)!
        default:
            throw CocoaError(.fileReadCorruptFile)
        }
        index += 1  // the single whitespace byte after the header
        let count = width * height * depth * (maxval < 256 ? 1 : 2)
        guard bytes.count >= index + count else { throw CocoaError(.fileReadCorruptFile) }
        payload = Array(bytes[index..<(index + count)])
    }
}
