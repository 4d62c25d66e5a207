/// A transfer syntax: how the dataset is encoded and how pixel data is compressed.
public struct DICOMTransferSyntax: Sendable, Equatable, CustomStringConvertible {
    /// The UID, e.g. "1.2.840.10008.1.2.1".
    public var uid: String
    /// Explicit VR (otherwise implicit: VRs come from the dictionary).
    public var explicitVR: Bool
    /// Big-endian byte order.
    public var bigEndian: Bool
    /// The dataset after the file meta group is raw deflate (RFC 1951).
    public var deflated: Bool
    /// Pixel data is encapsulated (compressed, in fragments).
    public var encapsulated: Bool

    public static let implicitLittle = DICOMTransferSyntax(uid: "1.2.840.10008.1.2", explicitVR: false, bigEndian: false, deflated: false, encapsulated: false)
    public static let explicitLittle = DICOMTransferSyntax(uid: "1.2.840.10008.1.2.1", explicitVR: true, bigEndian: false, deflated: false, encapsulated: false)
    public static let deflatedExplicitLittle = DICOMTransferSyntax(uid: "1.2.840.10008.1.2.1.99", explicitVR: true, bigEndian: false, deflated: true, encapsulated: false)
    public static let explicitBig = DICOMTransferSyntax(uid: "1.2.840.10008.1.2.2", explicitVR: true, bigEndian: true, deflated: false, encapsulated: false)

    public static let rleLossless = "1.2.840.10008.1.2.5"
    public static let jpegBaseline = "1.2.840.10008.1.2.4.50"
    public static let jpegLossless = "1.2.840.10008.1.2.4.57"
    public static let jpegLosslessSV1 = "1.2.840.10008.1.2.4.70"
    public static let jpegLSLossless = "1.2.840.10008.1.2.4.80"
    public static let jpegLSNearLossless = "1.2.840.10008.1.2.4.81"
    public static let jpeg2000Lossless = "1.2.840.10008.1.2.4.90"
    public static let jpeg2000 = "1.2.840.10008.1.2.4.91"
    /// High-Throughput JPEG 2000 (Part 15): lossless, lossless with RPCL progression, and lossy.
    public static let htj2kLossless = "1.2.840.10008.1.2.4.201"
    public static let htj2kLosslessRPCL = "1.2.840.10008.1.2.4.202"
    public static let htj2k = "1.2.840.10008.1.2.4.203"

    /// Names of the transfer syntaxes in PS3.6 Table A-1 that RadLens may meet.
    static let names: [String: String] = [
        "1.2.840.10008.1.2": "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.98": "Encapsulated Uncompressed Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 Image Compression (Lossless Only)",
        "1.2.840.10008.1.2.4.91": "JPEG 2000 Image Compression",
        "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component (Lossless Only)",
        "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component",
        "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
        "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
        "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
        "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
        "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
        "1.2.840.10008.1.2.5": "RLE Lossless",
    ]

    /// The standard name of the syntax, or "unknown".
    public var name: String { Self.names[uid] ?? "unknown" }

    public var description: String { "\(uid) (\(name))" }

    /// The syntax for `uid`. Every encapsulated syntax is explicit VR little endian; a UID that
    /// is neither a known native syntax nor in the 1.2.840.10008.1.2.4/.5 families gives nil.
    public init?(uid raw: String) {
        let uid = raw.trimmingDICOMPadding()
        switch uid {
        case Self.implicitLittle.uid: self = .implicitLittle
        case Self.explicitLittle.uid: self = .explicitLittle
        case Self.deflatedExplicitLittle.uid: self = .deflatedExplicitLittle
        case Self.explicitBig.uid: self = .explicitBig
        default:
            guard uid.hasPrefix("1.2.840.10008.1.2.4.") || uid == Self.rleLossless || uid == "1.2.840.10008.1.2.1.98" else { return nil }
            self.init(uid: uid, explicitVR: true, bigEndian: false, deflated: false, encapsulated: true)
        }
    }

    init(uid: String, explicitVR: Bool, bigEndian: Bool, deflated: Bool, encapsulated: Bool) {
        self.uid = uid
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
        self.deflated = deflated
        self.encapsulated = encapsulated
    }
}

extension String {
    /// Without the trailing spaces and NULs DICOM pads values with, and without leading spaces.
    func trimmingDICOMPadding() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        while let first = scalars.first, first == " " { scalars.removeFirst() }
        return String(scalars)
    }
}
