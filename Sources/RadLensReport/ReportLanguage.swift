/// Languages the shipped report templates are written in.
public enum ReportLanguage: String, Sendable, CaseIterable, Codable {
    case en
    case zh
}

/// Output formats of an analysis.
public enum ReportFormat: String, Sendable, CaseIterable, Codable {
    case text
    case json
    case fhir
    case html
    /// DICOM Comprehensive 3D SR (TID 1500): carries the source's patient and study.
    case sr
    /// DICOM Secondary Capture of the heatmap overlay: carries the source's patient and study.
    case sc

    /// DICOM results, the only outputs that carry patient identifiers (PACS needs them).
    public var isDICOM: Bool { self == .sr || self == .sc }

    /// File name extension for files written to an output folder.
    public var fileExtension: String {
        switch self {
        case .text: "txt"
        case .json: "json"
        case .fhir: "fhir.json"
        case .html: "html"
        case .sr: "sr.dcm"
        case .sc: "sc.dcm"
        }
    }
}
