/// A dataset to write, built by keyword and encoded as Explicit VR Little Endian (PS3.5 7.1.2):
/// elements sorted by tag, values padded to even length, sequences and items with defined lengths.
///
/// ```swift
/// var dataset = DICOMDatasetBuilder()
/// dataset.set("Modality", "SR")
/// dataset.set("Rows", uint16: 512)
/// dataset.set("ConceptNameCodeSequence", items: [code])
/// let bytes = dataset.encoded()
/// ```
/// Keywords come from `DICOMDictionary`; an unknown keyword is a programming error and traps.
public struct DICOMDatasetBuilder: Sendable {
    private enum Value: Sendable {
        case bytes([UInt8])
        case items([DICOMDatasetBuilder])
    }

    private var elements: [DICOMTag: (vr: DICOMVR, value: Value)] = [:]

    public init() {}

    /// True when nothing has been set.
    public var isEmpty: Bool { elements.isEmpty }

    /// Sets a text element (values joined with backslash). An empty list writes an empty
    /// (type 2) element.
    public mutating func set(_ keyword: String, _ values: [String]) {
        let (tag, vr) = Self.entry(keyword)
        precondition(vr.isText, "\(keyword) is \(vr.rawValue), not text")
        elements[tag] = (vr, .bytes(Array(values.joined(separator: "\\").utf8)))
    }

    /// Sets a single-valued text element; "" writes an empty (type 2) element.
    public mutating func set(_ keyword: String, _ value: String) { set(keyword, value.isEmpty ? [] : [value]) }

    /// Sets US values.
    public mutating func set(_ keyword: String, uint16 values: UInt16...) {
        let (tag, vr) = Self.entry(keyword)
        precondition(vr == .US, "\(keyword) is \(vr.rawValue), not US")
        elements[tag] = (vr, .bytes(values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
    }

    /// Sets a binary or text value from its encoded bytes (e.g. pixel data, or a text value
    /// copied unchanged from another dataset, with `vr` as that dataset had it).
    public mutating func set(_ tag: DICOMTag, vr: DICOMVR, bytes: [UInt8]) {
        elements[tag] = (vr, .bytes(bytes))
    }

    /// Sets OB or OW binary data by keyword.
    public mutating func set(_ keyword: String, bytes: [UInt8]) {
        let (tag, vr) = Self.entry(keyword)
        set(tag, vr: vr, bytes: bytes)
    }

    /// Sets a sequence; an empty list writes an empty (type 2) sequence.
    public mutating func set(_ keyword: String, items: [DICOMDatasetBuilder]) {
        let (tag, vr) = Self.entry(keyword)
        precondition(vr == .SQ, "\(keyword) is \(vr.rawValue), not SQ")
        elements[tag] = (vr, .items(items))
    }

    /// The dataset in Explicit VR Little Endian.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        for tag in elements.keys.sorted() {
            let (vr, value) = elements[tag]!
            var body: [UInt8]
            switch value {
            case .bytes(let bytes):
                body = bytes
                if body.count % 2 == 1 { body.append(vr == .UI || !vr.isText ? 0 : 0x20) }
            case .items(let items):
                body = []
                for item in items {
                    let encoded = item.encoded()
                    Self.appendTag(DICOMTag(0xFFFE, 0xE000), to: &body)
                    Self.append32(UInt32(encoded.count), to: &body)
                    body += encoded
                }
            }
            Self.appendTag(tag, to: &out)
            out += Array(vr.rawValue.utf8)
            if vr.hasLongLength {
                out += [0, 0]
                Self.append32(UInt32(body.count), to: &out)
            } else {
                precondition(body.count <= 0xFFFF, "\(tag) value too long for \(vr.rawValue)")
                out += [UInt8(body.count & 0xFF), UInt8(body.count >> 8)]
            }
            out += body
        }
        return out
    }

    private static func entry(_ keyword: String) -> (DICOMTag, DICOMVR) {
        guard let entry = DICOMDictionary.entry(keyword: keyword) else { preconditionFailure("no DICOM keyword \(keyword)") }
        return (entry.tag, entry.vr)
    }

    private static func appendTag(_ tag: DICOMTag, to out: inout [UInt8]) {
        out += [UInt8(tag.group & 0xFF), UInt8(tag.group >> 8), UInt8(tag.element & 0xFF), UInt8(tag.element >> 8)]
    }

    private static func append32(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
