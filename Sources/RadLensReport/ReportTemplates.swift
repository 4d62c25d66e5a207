import Foundation
import Mustache
import RadLensModel

/// The Mustache templates a model bundle carries (`templates/report.<lang>.mustache`,
/// `templates/report.html.mustache`), or a user's own text template.
public struct ReportTemplates: Sendable {
    private let text: [ReportLanguage: MustacheTemplate]
    private let html: MustacheTemplate?
    private let custom: MustacheTemplate?

    /// Loads the bundle's templates; `customText` (a file path) replaces the text template.
    public init(bundleDirectory: URL, customText: String? = nil) throws(BundleError) {
        var text: [ReportLanguage: MustacheTemplate] = [:]
        for language in ReportLanguage.allCases {
            let url = bundleDirectory.appendingPathComponent("templates/report.\(language.rawValue).mustache")
            if FileManager.default.fileExists(atPath: url.path) { text[language] = try Self.load(url.path) }
        }
        self.text = text
        let htmlURL = bundleDirectory.appendingPathComponent("templates/report.html.mustache")
        html = FileManager.default.fileExists(atPath: htmlURL.path) ? try Self.load(htmlURL.path) : nil
        custom = try customText.map { path throws(BundleError) in try Self.load(path) }
    }

    private static func load(_ path: String) throws(BundleError) -> MustacheTemplate {
        guard let source = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw BundleError("\(path): cannot read template")
        }
        do {
            return try MustacheTemplate(string: source)
        } catch {
            throw BundleError("\(path): invalid Mustache template: \(error)")
        }
    }

    /// The report text in `language`.
    public func renderText(_ report: AnalysisReport, manifest: ModelManifest?, language: ReportLanguage) throws(BundleError) -> String {
        guard let template = custom ?? text[language] ?? text[.en] else {
            throw BundleError("the model bundle has no templates/report.\(language.rawValue).mustache")
        }
        return Self.tidy(template.render(ReportContext.make(report, manifest: manifest, language: language)))
    }

    /// The self-contained HTML page; images are base64 PNGs, `heatmaps` by finding label.
    public func renderHTML(_ report: AnalysisReport, manifest: ModelManifest?, language: ReportLanguage,
                           imagePNG: [UInt8], heatmaps: [String: [UInt8]]) throws(BundleError) -> String {
        guard let html else { throw BundleError("the model bundle has no templates/report.html.mustache") }
        let images = ReportContext.Images(image: Data(imagePNG).base64EncodedString(),
                                          heatmaps: heatmaps.mapValues { Data($0).base64EncodedString() })
        return html.render(ReportContext.make(report, manifest: manifest, language: language, images: images))
    }

    /// Collapses runs of blank lines that optional template sections leave behind.
    static func tidy(_ text: String) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let blank = line.allSatisfy(\.isWhitespace)
            if blank && (lines.last?.allSatisfy(\.isWhitespace) ?? true) { continue }
            lines.append(blank ? "" : line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }
}
