/// Parses DICOM data elements from bytes, checking every length against the bytes that remain,
/// so a damaged file gives a `DecodeError` and never an out-of-bounds read, a hang or an
/// allocation larger than the file.
struct DICOMParser {
    /// Sequences nested deeper than this are refused (real files rarely exceed 5).
    static let maxDepth = 32

    let bytes: [UInt8]
    let path: String?
    let bigEndian: Bool

    init(bytes: [UInt8], path: String?, bigEndian: Bool) {
        self.bytes = bytes
        self.path = path
        self.bigEndian = bigEndian
    }

    func corrupt(_ reason: String) -> DecodeError {
        DecodeError(.corrupt, path: path, reason: "DICOM: \(reason)")
    }

    private func u16(_ offset: Int) -> UInt16 {
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    private func u32(_ offset: Int) -> UInt32 {
        let a = UInt32(u16(offset)), b = UInt32(u16(offset + 2))
        return bigEndian ? a << 16 | b : b << 16 | a
    }

    /// The tag at `offset` (which must have 4 bytes).
    func tag(at offset: Int) -> DICOMTag { DICOMTag(u16(offset), u16(offset + 2)) }

    /// Parses elements from `start` up to `end`. With `untilItemDelimiter` (an item of undefined
    /// length) parsing stops after an Item Delimitation Item; `filter` stops before the first
    /// element it rejects (used for the file meta group). Returns the dataset and where it ended.
    func parseDataset(from start: Int, to end: Int, explicitVR: Bool, depth: Int,
                      untilItemDelimiter: Bool = false,
                      while filter: ((DICOMTag) -> Bool)? = nil) throws(DecodeError) -> (DICOMDataset, Int) {
        var dataset = DICOMDataset(bytes: bytes, bigEndian: bigEndian)
        var offset = start
        while offset < end {
            guard end - offset >= 8 else {
                throw corrupt("truncated element header at offset \(offset) (\(end - offset) bytes left)")
            }
            let tag = tag(at: offset)
            if let filter, !filter(tag) { return (dataset, offset) }
            if tag == .itemDelimitation {
                guard untilItemDelimiter else { throw corrupt("unexpected item delimiter at offset \(offset)") }
                return (dataset, offset + 8)
            }
            if tag.group == 0xFFFE {
                throw corrupt("unexpected item tag \(tag) at offset \(offset) outside a sequence")
            }
            let element = try parseElement(at: &offset, tag: tag, end: end, explicitVR: explicitVR, depth: depth)
            dataset.append(element)
        }
        if untilItemDelimiter {
            throw corrupt("item of undefined length has no item delimiter before offset \(end) (truncated file?)")
        }
        return (dataset, offset)
    }

    private func parseElement(at offset: inout Int, tag: DICOMTag, end: Int, explicitVR: Bool,
                              depth: Int) throws(DecodeError) -> DICOMElement {
        let headerStart = offset
        var vr: DICOMVR
        var length: UInt32
        if explicitVR {
            guard let explicit = DICOMVR(bytes[offset + 4], bytes[offset + 5]) else {
                throw corrupt("invalid VR bytes 0x\(String(bytes[offset + 4], radix: 16)) 0x\(String(bytes[offset + 5], radix: 16)) for \(tag) at offset \(offset)")
            }
            vr = explicit
            if vr.hasLongLength {
                guard end - offset >= 12 else { throw corrupt("truncated element header for \(tag) at offset \(offset)") }
                length = u32(offset + 8)
                offset += 12
            } else {
                length = UInt32(u16(offset + 6))
                offset += 8
            }
        } else {
            vr = DICOMDictionary.vr(of: tag)
            if tag == .pixelData { vr = .OW }
            length = u32(offset + 4)
            offset += 8
        }
        let valueStart = offset
        if length == 0xFFFF_FFFF {
            if tag == .pixelData {
                let fragments = try parseFragments(at: &offset, end: end)
                return DICOMElement(tag: tag, vr: vr, valueRange: valueStart..<offset, items: nil,
                                    fragments: fragments, undefinedLength: true)
            }
            // An undefined-length UN is a sequence encoded in Implicit VR Little Endian (PS3.5 6.2.2).
            guard vr == .SQ || vr == .UN else {
                throw corrupt("\(tag) at offset \(headerStart) has VR \(vr.rawValue) and undefined length; only sequences and pixel data may")
            }
            let itemsExplicit = vr == .SQ ? explicitVR : false
            let parser = vr == .SQ ? self : DICOMParser(bytes: bytes, path: path, bigEndian: false)
            let items = try parser.parseItems(at: &offset, end: end, definedEnd: nil, explicitVR: itemsExplicit, depth: depth + 1, owner: tag)
            return DICOMElement(tag: tag, vr: .SQ, valueRange: valueStart..<offset, items: items,
                                fragments: nil, undefinedLength: true)
        }
        guard Int(length) <= end - valueStart else {
            throw corrupt("\(tag) at offset \(headerStart) declares \(length) bytes but only \(end - valueStart) remain (truncated or damaged file)")
        }
        let valueEnd = valueStart + Int(length)
        var items: [DICOMDataset]?
        if vr == .SQ {
            var cursor = valueStart
            items = try parseItems(at: &cursor, end: valueEnd, definedEnd: valueEnd, explicitVR: explicitVR, depth: depth + 1, owner: tag)
        }
        offset = valueEnd
        return DICOMElement(tag: tag, vr: vr, valueRange: valueStart..<valueEnd, items: items,
                            fragments: nil, undefinedLength: false)
    }

    /// Parses sequence items: up to `definedEnd`, or (undefined length) up to the Sequence
    /// Delimitation Item, which must come before `end`.
    private func parseItems(at offset: inout Int, end: Int, definedEnd: Int?, explicitVR: Bool,
                            depth: Int, owner: DICOMTag) throws(DecodeError) -> [DICOMDataset] {
        guard depth <= Self.maxDepth else {
            throw corrupt("sequences nested deeper than \(Self.maxDepth) levels at \(owner), offset \(offset)")
        }
        var items: [DICOMDataset] = []
        while true {
            if let definedEnd, offset >= definedEnd { return items }
            guard end - offset >= 8 else {
                throw corrupt("sequence \(owner) is truncated at offset \(offset) (no sequence delimiter)")
            }
            let tag = tag(at: offset)
            let length = u32(offset + 4)
            offset += 8
            if tag == .sequenceDelimitation {
                guard definedEnd == nil else { throw corrupt("sequence delimiter inside defined-length sequence \(owner)") }
                return items
            }
            guard tag == .item else {
                throw corrupt("expected an item in sequence \(owner) at offset \(offset - 8), found \(tag)")
            }
            if length == 0xFFFF_FFFF {
                let (item, next) = try parseDataset(from: offset, to: end, explicitVR: explicitVR, depth: depth, untilItemDelimiter: true)
                items.append(item)
                offset = next
            } else {
                guard Int(length) <= end - offset else {
                    throw corrupt("item of \(owner) at offset \(offset - 8) declares \(length) bytes but only \(end - offset) remain")
                }
                let (item, _) = try parseDataset(from: offset, to: offset + Int(length), explicitVR: explicitVR, depth: depth)
                items.append(item)
                offset += Int(length)
            }
        }
    }

    /// Parses encapsulated pixel data: the basic offset table item, fragment items, the delimiter.
    private func parseFragments(at offset: inout Int, end: Int) throws(DecodeError) -> DICOMFragments {
        var table: [Int] = []
        var fragments: [Range<Int>] = []
        var itemOffsets: [Int] = []
        var first = true
        var firstFragmentItem = 0
        while true {
            guard end - offset >= 8 else {
                throw corrupt("encapsulated pixel data is truncated at offset \(offset) (no sequence delimiter)")
            }
            let tag = tag(at: offset)
            let length = u32(offset + 4)
            if tag == .sequenceDelimitation {
                offset += 8
                return DICOMFragments(offsetTable: table, fragments: fragments, itemOffsets: itemOffsets)
            }
            guard tag == .item else {
                throw corrupt("expected a pixel data item at offset \(offset), found \(tag)")
            }
            guard length != 0xFFFF_FFFF, Int(length) <= end - offset - 8 else {
                throw corrupt("pixel data fragment at offset \(offset) declares \(length) bytes but only \(end - offset - 8) remain")
            }
            let valueStart = offset + 8
            if first {
                var cursor = valueStart
                while cursor + 4 <= valueStart + Int(length) {
                    // The offset table is little endian in every encapsulated syntax.
                    table.append(Int(UInt32(bytes[cursor]) | UInt32(bytes[cursor + 1]) << 8 | UInt32(bytes[cursor + 2]) << 16 | UInt32(bytes[cursor + 3]) << 24))
                    cursor += 4
                }
                first = false
                firstFragmentItem = valueStart + Int(length)
            } else {
                fragments.append(valueStart..<(valueStart + Int(length)))
                itemOffsets.append(offset - firstFragmentItem)
            }
            offset = valueStart + Int(length)
        }
    }
}
