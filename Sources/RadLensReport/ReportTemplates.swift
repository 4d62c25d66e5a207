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
    /// A command that knows what it will render reads only that: the text templates of
    /// `languages` (and English, the fallback; all languages when nil) and the HTML page's
    /// with `html`. Parsing is what a cold start pays for here (swift-mustache's parser takes
    /// time quadratic in a template's length: about 1 ms for each 2 KB template).
    public init(bundleDirectory: URL, customText: String? = nil, languages: Set<ReportLanguage>? = nil, html includesHTML: Bool = true) throws(BundleError) {
        custom = try customText.map { path throws(BundleError) in try Self.load(path) }
        var text: [ReportLanguage: MustacheTemplate] = [:]
        let wanted = custom != nil ? [] : languages.map { $0.union([.en]) } ?? Set(ReportLanguage.allCases)
        for language in ReportLanguage.allCases where wanted.contains(language) {
            let url = bundleDirectory.appendingPathComponent("templates/report.\(language.rawValue).mustache")
            if FileManager.default.fileExists(atPath: url.path) { text[language] = try Self.load(url.path) }
        }
        self.text = text
        let htmlURL = bundleDirectory.appendingPathComponent("templates/report.html.mustache")
        html = includesHTML && FileManager.default.fileExists(atPath: htmlURL.path) ? try Self.load(htmlURL.path) : nil
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

    /// Renders each text template once for a placeholder report and discards the text, so that
    /// the report itself renders faster. The first time the renderer casts a value of some type
    /// to one of Mustache's protocols, the Swift runtime scans the binary's 7,300 conformance
    /// records, then caches the answer: about 30 such scans, 1.5 ms, for a report. `radlens
    /// analyze` calls this on the core that checks the model's sha256, while the image decodes.
    public func prepareRendering(manifest: ModelManifest?) {
        let finding = AnalysisReport.Finding(
            label: "finding", display: "Finding", code: .init(system: "system", code: "code", display: "Finding"), codes: [],
            probability: 0.5, threshold: 0.5, indeterminateLow: 0.4, indeterminateHigh: 0.6, decision: .indeterminate,
            attention: .init(zone: "middle", side: "both"))
        let report = AnalysisReport(
            status: .ok, input: .init(path: "image.png", sha256: "", format: "png", width: 1, height: 1, study: .init(modality: "CR")),
            model: .init(name: "model", version: "1", sha256: ""), findings: [finding],
            quality: .init(flags: ["out-of-distribution"], oodDistance: 1, oodThreshold: 1), timingsMs: .init(),
            provenance: .init(radlensVersion: "", kernelLevel: "", precision: "", generatedAt: ""))
        for (language, template) in text.map({ ($0.key, $0.value) }) + (custom.map { [(ReportLanguage.en, $0)] } ?? []) {
            _ = template.render(ReportContext.make(report, manifest: manifest, language: language))
        }
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
