/// The container formats RadLens reads, recognised by their first bytes, never by file extension.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png
    case jpeg

    /// Identifies the format from the leading bytes of a file, or nil when none matches.
    public static func sniff<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }
}
