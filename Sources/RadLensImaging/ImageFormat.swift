/// The container formats RadLens reads, recognised by their first bytes, never by file extension.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png
    case jpeg
    case dicom

    /// Identifies the format from the leading bytes of a file, or nil when none matches.
    public static func sniff<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        // DICOM: "DICM" after the 128-byte preamble, or (no preamble) a first data element of
        // group 0002 or 0008 in a plausible encoding.
        let dicomHead = Array(bytes.prefix(132))
        if DICOMFile.hasPreamble(dicomHead) || DICOMFile.guessEncoding(dicomHead, at: 0) != nil { return .dicom }
        return nil
    }
}
