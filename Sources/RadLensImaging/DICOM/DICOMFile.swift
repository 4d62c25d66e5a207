/// A DICOM file (PS3.10): the file meta group and the dataset, parsed without copying values.
/// Pixel data stays in the file's bytes until an image is asked for.
///
/// ```swift
/// let file = try DICOMFile(contentsOf: "RG1_UNCR.dcm")
/// print(file.metadata.modality ?? "?", file.transferSyntax)
/// let image = try file.image(frame: 0, rendering: .defaultWindow)
/// ```
public struct DICOMFile: Sendable {
    /// The path as the caller gave it, for errors.
    public let path: String?
    /// The file meta group (0002,xxxx); empty for files without one.
    public let meta: DICOMDataset
    /// The dataset.
    public let dataset: DICOMDataset
    /// The dataset's encoding, from (0002,0010) or, without it, recognised from the bytes.
    public let transferSyntax: DICOMTransferSyntax
    /// The file starts with the 128-byte preamble and "DICM".
    public let hasPreamble: Bool

    /// Inflated datasets larger than this are refused.
    static let maxInflatedBytes = 1 << 31

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws(DecodeError) {
        try self.init(bytes: FileReader.read(path), path: path)
    }

    /// Parses in-memory file bytes; `path` only names the input in errors.
    public init(bytes: [UInt8], path: String? = nil) throws(DecodeError) {
        self.path = path
        guard !bytes.isEmpty else { throw DecodeError(.empty, path: path, reason: "file is empty") }
        hasPreamble = DICOMFile.hasPreamble(bytes)
        var offset = hasPreamble ? 132 : 0
        let little = DICOMParser(bytes: bytes, path: path, bigEndian: false)
        if hasPreamble && bytes.count == 132 {
            throw little.corrupt("file ends after the DICM prefix")
        }
        // The file meta group is always Explicit VR Little Endian.
        var meta = DICOMDataset(bytes: bytes, bigEndian: false)
        if bytes.count - offset >= 6, little.tag(at: offset).group == 0x0002, DICOMVR(bytes[offset + 4], bytes[offset + 5]) != nil {
            (meta, offset) = try little.parseDataset(from: offset, to: bytes.count, explicitVR: true, depth: 0,
                                                     while: { $0.group == 0x0002 })
        } else if !hasPreamble && DICOMFile.guessEncoding(bytes, at: 0) == nil {
            throw DecodeError(.unknownFormat, path: path, reason: "not a DICOM file (no DICM prefix and no plausible data element at the start)")
        }
        self.meta = meta
        var syntax: DICOMTransferSyntax
        if let uid = meta.string(.transferSyntaxUID) {
            guard let known = DICOMTransferSyntax(uid: uid) else {
                let name = DICOMTransferSyntax.names[uid] ?? "unknown"
                throw DecodeError(.unsupported, path: path, reason: "unsupported transfer syntax \(uid) (\(name))")
            }
            syntax = known
        } else if meta.contains(.transferSyntaxUID) {
            throw little.corrupt("the transfer syntax UID (0002,0010) is empty")
        } else if offset >= bytes.count {
            throw little.corrupt("no dataset after the file meta group")
        } else if let guessed = DICOMFile.guessEncoding(bytes, at: offset) {
            syntax = guessed
        } else {
            throw little.corrupt("no transfer syntax in the file meta group and the dataset encoding is not recognisable")
        }
        // Some writers declare Explicit VR but write Implicit VR (and the reverse); like pydicom and
        // DCMTK, trust the bytes when the first element plainly says otherwise.
        if !syntax.deflated && !syntax.bigEndian, let actual = DICOMFile.guessEncoding(bytes, at: offset),
           !actual.bigEndian, actual.explicitVR != syntax.explicitVR {
            syntax.explicitVR = actual.explicitVR
        }
        transferSyntax = syntax
        var datasetBytes = bytes
        if syntax.deflated {
            datasetBytes = try DICOMInflate.inflate(bytes[offset...], limit: DICOMFile.maxInflatedBytes, path: path)
            offset = 0
        }
        let parser = DICOMParser(bytes: datasetBytes, path: path, bigEndian: syntax.bigEndian)
        (dataset, _) = try parser.parseDataset(from: offset, to: datasetBytes.count, explicitVR: syntax.explicitVR, depth: 0)
    }

    static func hasPreamble(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 132 && bytes[128] == 0x44 && bytes[129] == 0x49 && bytes[130] == 0x43 && bytes[131] == 0x4D
    }

    /// The encoding of a dataset without a transfer syntax, recognised from its first element:
    /// group 0002 or 0008 (or 0000..0028 for some old files) in either byte order, with or without a VR.
    static func guessEncoding(_ bytes: [UInt8], at offset: Int) -> DICOMTransferSyntax? {
        guard bytes.count - offset >= 8 else { return nil }
        let littleGroup = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        let bigGroup = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        let hasVR = DICOMVR(bytes[offset + 4], bytes[offset + 5]) != nil
        let plausible: Set<UInt16> = [0x0002, 0x0008]
        if plausible.contains(littleGroup) {
            if hasVR { return .explicitLittle }
            let length = UInt32(bytes[offset + 4]) | UInt32(bytes[offset + 5]) << 8 | UInt32(bytes[offset + 6]) << 16 | UInt32(bytes[offset + 7]) << 24
            return Int(length) <= bytes.count - offset - 8 ? .implicitLittle : nil
        }
        if plausible.contains(bigGroup) && hasVR { return .explicitBig }
        return nil
    }
}
