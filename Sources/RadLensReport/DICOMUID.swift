import Crypto

/// UIDs that RadLens derives instead of drawing at random, so a rerun on the same input with the
/// same model writes objects with the same UIDs (and PACS replaces rather than duplicates them).
///
/// Each UID is "2.25." followed by the decimal value of a name-based UUID (RFC 9562 version 8):
/// the first 128 bits of SHA-256 over the names, with the version and variant bits set.
/// ```swift
/// let series = DICOMUID.derived("sr-series", inputSHA256, modelSHA256)
/// ```
public enum DICOMUID {
    /// The UID for `names` (joined with a separator no name contains).
    public static func derived(_ names: String...) -> String {
        let digest = Array(SHA256.hash(data: Array(names.joined(separator: "\u{1F}").utf8)))
        var high = digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var low = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        high = high & ~0xF000 | 0x8000 // version 8
        low = low & ~(UInt64(0xC0) << 56) | UInt64(0x80) << 56 // variant 10
        return "2.25." + String(UInt128(high) << 64 | UInt128(low))
    }
}
