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

    /// File name extension for files written to an output folder.
    public var fileExtension: String {
        switch self {
        case .text: "txt"
        case .json: "json"
        case .fhir: "fhir.json"
        case .html: "html"
        }
    }
}
