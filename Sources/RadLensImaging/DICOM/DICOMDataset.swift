/// One data element. Its value is not copied: `valueRange` points into the dataset's bytes.
public struct DICOMElement: Sendable {
    public var tag: DICOMTag
    /// The VR from the file (explicit syntaxes) or the dictionary (implicit; UN when unknown).
    public var vr: DICOMVR
    /// Where the value lies in the dataset's bytes (for sequences and encapsulated pixel data,
    /// everything between the header and the delimiter).
    public var valueRange: Range<Int>
    /// The items of a sequence.
    public var items: [DICOMDataset]?
    /// The fragments of encapsulated pixel data.
    public var fragments: DICOMFragments?
    /// The length was undefined (0xFFFFFFFF) in the file.
    public var undefinedLength: Bool
}

/// Encapsulated pixel data (PS3.5 A.4): the basic offset table and the fragment byte ranges.
public struct DICOMFragments: Sendable {
    /// Offsets of each frame's first fragment, relative to the first fragment's item tag; may be empty.
    public var offsetTable: [Int]
    /// The ranges of the fragment values in the dataset's bytes.
    public var fragments: [Range<Int>]
    /// Offsets of each fragment's item tag relative to the first fragment's item tag.
    var itemOffsets: [Int]
}

/// A parsed dataset (or sequence item): elements in file order, with lookup by tag.
///
/// ```swift
/// let file = try DICOMFile(contentsOf: "image.dcm")
/// let rows = file.dataset.int(.rows)
/// let modality = file.dataset.string(.modality)
/// ```
public struct DICOMDataset: Sendable {
    /// The bytes the element ranges refer to (the file, or the inflated dataset of a deflated file).
    public let bytes: [UInt8]
    /// Multi-byte binary values are big-endian.
    public let bigEndian: Bool
    /// The elements in file order.
    public private(set) var elements: [DICOMElement] = []
    private var index: [DICOMTag: Int] = [:]

    init(bytes: [UInt8], bigEndian: Bool) {
        self.bytes = bytes
        self.bigEndian = bigEndian
    }

    mutating func append(_ element: DICOMElement) {
        if index[element.tag] == nil { index[element.tag] = elements.count }
        elements.append(element)
    }

    /// The element with `tag` (the first one when a broken file repeats it).
    public subscript(tag: DICOMTag) -> DICOMElement? {
        index[tag].map { elements[$0] }
    }

    /// True when the dataset holds `tag`.
    public func contains(_ tag: DICOMTag) -> Bool { index[tag] != nil }

    /// The raw value bytes of `tag`.
    public func value(_ tag: DICOMTag) -> ArraySlice<UInt8>? {
        self[tag].map { bytes[$0.valueRange] }
    }

    /// The values of a text element split on backslash, padding trimmed.
    public func strings(_ tag: DICOMTag) -> [String] {
        guard let element = self[tag] else { return [] }
        return texts(of: element)
    }

    /// The first value of a text element, padding trimmed; nil when absent or empty.
    public func string(_ tag: DICOMTag) -> String? {
        guard let first = strings(tag).first, !first.isEmpty else { return nil }
        return first
    }

    /// Values of a numeric element: binary (US, SS, UL, SL, FL, FD) or text (IS, DS).
    public func doubles(_ tag: DICOMTag) -> [Double] {
        guard let element = self[tag] else { return [] }
        return numbers(of: element)
    }

    /// The first numeric value of `tag` as a Double.
    public func double(_ tag: DICOMTag) -> Double? { doubles(tag).first }

    /// The first numeric value of `tag` as an Int (nil when absent, not integral or out of range).
    public func int(_ tag: DICOMTag) -> Int? {
        guard let value = double(tag), value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// The items of a sequence (empty when absent or not a sequence).
    public func sequence(_ tag: DICOMTag) -> [DICOMDataset] { self[tag]?.items ?? [] }

    // MARK: Value decoding

    func texts(of element: DICOMElement) -> [String] {
        let raw = bytes[element.valueRange]
        // ISO 8859-1 maps bytes to the same scalars; UTF-8 is tried first for ISO_IR 192.
        let text = String(validating: raw, as: UTF8.self) ?? String(raw.map { Character(Unicode.Scalar($0)) })
        let parts = element.vr == .LT || element.vr == .ST || element.vr == .UT || element.vr == .UR
            ? [Substring(text)] : text.split(separator: "\\", omittingEmptySubsequences: false)
        return parts.map { String($0).trimmingDICOMPadding() }
    }

    func numbers(of element: DICOMElement) -> [Double] {
        let range = element.valueRange
        switch element.vr {
        case .US: return stride(from: range.lowerBound, to: range.upperBound - 1, by: 2).map { Double(u16($0)) }
        case .SS: return stride(from: range.lowerBound, to: range.upperBound - 1, by: 2).map { Double(Int16(bitPattern: u16($0))) }
        case .UL: return stride(from: range.lowerBound, to: range.upperBound - 3, by: 4).map { Double(u32($0)) }
        case .SL: return stride(from: range.lowerBound, to: range.upperBound - 3, by: 4).map { Double(Int32(bitPattern: u32($0))) }
        case .FL: return stride(from: range.lowerBound, to: range.upperBound - 3, by: 4).map { Double(Float(bitPattern: u32($0))) }
        case .FD:
            return stride(from: range.lowerBound, to: range.upperBound - 7, by: 8).map {
                Double(bitPattern: bigEndian ? UInt64(u32($0)) << 32 | UInt64(u32($0 + 4)) : UInt64(u32($0 + 4)) << 32 | UInt64(u32($0)))
            }
        case .IS, .DS, .CS, .LO, .SH, .UN:
            return texts(of: element).compactMap { Double($0) }
        default: return []
        }
    }

    /// 16-bit word at `offset` in the dataset's byte order.
    func u16(_ offset: Int) -> UInt16 {
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    /// 32-bit word at `offset` in the dataset's byte order.
    func u32(_ offset: Int) -> UInt32 {
        let a = UInt32(u16(offset)), b = UInt32(u16(offset + 2))
        return bigEndian ? a << 16 | b : b << 16 | a
    }

    /// Values of a 16-bit table (LUT data, palette data) as unsigned words; an 8-bit table stored
    /// in OB is widened byte by byte.
    func words(_ tag: DICOMTag) -> [UInt16] {
        guard let element = self[tag] else { return [] }
        let range = element.valueRange
        return stride(from: range.lowerBound, to: range.upperBound - 1, by: 2).map { u16($0) }
    }
}
