/// Which attributes are protected health information (PHI), after the DICOM PS3.15 Annex E Basic
/// Application Level Confidentiality Profile: identifying attributes, every date and time, person
/// names, the whole patient group (0010,xxxx) and all private attributes. Study, series and SOP
/// instance UIDs are kept: results are joined to studies by them.
public enum DICOMPrivacy {
    /// Attributes the Basic Profile removes or replaces, beyond the rules by group and VR.
    static let identifying: Set<UInt32> = [
        0x0008_0050, // Accession Number
        0x0008_0080, 0x0008_0081, 0x0008_0082, // Institution Name, Address, Code Sequence
        0x0008_0090, 0x0008_0092, 0x0008_0094, 0x0008_0096, // Referring Physician name, address, phones, id
        0x0008_1010, // Station Name
        0x0008_1030, 0x0008_103E, // Study and Series Description
        0x0008_1040, // Institutional Department Name
        0x0008_1048, 0x0008_1049, 0x0008_1050, 0x0008_1052, 0x0008_1060, 0x0008_1062, // physicians
        0x0008_1070, 0x0008_1072, // Operators' Name, Identification Sequence
        0x0008_1080, 0x0008_1084, // Admitting Diagnoses
        0x0008_2111, // Derivation Description
        0x0018_1000, 0x0018_1002, 0x0018_1004, 0x0018_1005, 0x0018_1007, 0x0018_1008, // device serial, plate id, ...
        0x0018_1030, // Protocol Name
        0x0018_700A, // Detector ID
        0x0018_9424, // Acquisition Protocol Description
        0x0020_0010, // Study ID
        0x0020_4000, // Image Comments
        0x0032_1030, 0x0032_1032, 0x0032_1033, 0x0032_1060, 0x0032_1070, 0x0032_4000, // request, study comments
        0x0038_0010, 0x0038_0011, 0x0038_0300, 0x0038_0400, 0x0038_0500, 0x0038_4000, // visit
        0x0040_0006, 0x0040_0007, 0x0040_0009, 0x0040_0010, 0x0040_0011, // scheduled procedure step
        0x0040_0241, 0x0040_0242, 0x0040_0243, 0x0040_0253, 0x0040_0254, 0x0040_0275, 0x0040_0280, // performed step, request attributes
        0x0040_1001, 0x0040_1002, 0x0040_1004, 0x0040_1005, 0x0040_1010, 0x0040_1011, 0x0040_1102, 0x0040_1103, 0x0040_1400,
        0x0040_2001, 0x0040_2008, 0x0040_2009, 0x0040_2010, 0x0040_2016, 0x0040_2017, 0x0040_2400,
        0x0040_A027, 0x0040_A073, 0x0040_A075, 0x0040_A078, 0x0040_A07A, 0x0040_A07C, 0x0040_A123, // SR observers
        0x0070_0084, // Content Creator's Name
        0x4008_0114, 0x4008_0119, 0x4008_011A, 0x4008_0202, // interpretation authors
        0xFFFA_FFFA, 0xFFFC_FFFC, // Digital Signatures, Data Set Trailing Padding
    ]

    /// True when the value of `tag` (with `vr`) must not appear in output without consent.
    public static func isProtected(_ tag: DICOMTag, vr: DICOMVR) -> Bool {
        if tag.isPrivate || tag.group == 0x0010 || tag.group == 0x0012 { return true }
        if vr == .PN || vr == .DA || vr == .DT || vr == .TM { return true }
        return identifying.contains(tag.rawValue)
    }
}

/// One line of a dataset dump, like a line of `dcmdump`.
public struct DICOMElementDescription: Sendable, Equatable, Codable {
    public var tag: String
    public var vr: String
    /// The dictionary keyword, or "" for tags outside RadLens's dictionary.
    public var keyword: String
    /// The value as text (values joined with backslash; binary values summarised).
    public var value: String
    /// The value is PHI and was replaced by "<masked>".
    public var masked: Bool
    /// 0 for the dataset, 1 for items of a top-level sequence, and so on.
    public var depth: Int
}

extension DICOMFile {
    /// The file meta group and the dataset as text, in file order, with PHI masked unless
    /// `includePHI` is true. Items of sequences follow their sequence at a greater depth; the
    /// items of a protected sequence are not listed.
    public func dump(includePHI: Bool = false) -> [DICOMElementDescription] {
        var lines: [DICOMElementDescription] = []
        append(meta, depth: 0, includePHI: includePHI, to: &lines)
        append(dataset, depth: 0, includePHI: includePHI, to: &lines)
        return lines
    }

    private func append(_ dataset: DICOMDataset, depth: Int, includePHI: Bool, to lines: inout [DICOMElementDescription]) {
        for element in dataset.elements {
            let masked = !includePHI && DICOMPrivacy.isProtected(element.tag, vr: element.vr)
            let value = masked ? "<masked>" : describe(element, in: dataset)
            lines.append(DICOMElementDescription(tag: element.tag.description, vr: element.vr.rawValue,
                                                 keyword: element.tag.keyword ?? "", value: value, masked: masked, depth: depth))
            if let items = element.items, !masked {
                for (number, item) in items.enumerated() {
                    lines.append(DICOMElementDescription(tag: DICOMTag.item.description, vr: "na", keyword: "Item",
                                                         value: "item \(number + 1) of \(items.count)", masked: false, depth: depth + 1))
                    append(item, depth: depth + 1, includePHI: includePHI, to: &lines)
                }
            }
        }
    }

    private func describe(_ element: DICOMElement, in dataset: DICOMDataset) -> String {
        if let items = element.items { return "(sequence with \(items.count) item\(items.count == 1 ? "" : "s"))" }
        if let fragments = element.fragments {
            return "(encapsulated pixel data: \(fragments.fragments.count) fragment(s), offset table of \(fragments.offsetTable.count))"
        }
        let length = element.valueRange.count
        if element.vr.isText {
            let text = dataset.strings(element.tag).joined(separator: "\\")
            return text.count > 200 ? String(text.prefix(200)) + "..." : text
        }
        switch element.vr {
        case .US, .SS, .UL, .SL, .FL, .FD:
            let numbers = dataset.numbers(of: element)
            let shown = numbers.prefix(16).map { $0.rounded() == $0 && abs($0) < 1e15 ? String(Int($0)) : String($0) }
            return shown.joined(separator: "\\") + (numbers.count > 16 ? "\\..." : "")
        case .AT:
            return stride(from: element.valueRange.lowerBound, to: element.valueRange.upperBound - 3, by: 4)
                .map { DICOMTag(dataset.u16($0), dataset.u16($0 + 2)).description }.joined(separator: "\\")
        default:
            return "(\(length) bytes)"
        }
    }
}
