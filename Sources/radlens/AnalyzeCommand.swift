import ArgumentParser
import Foundation
import RadLensPipeline
import RadLensReport

/// `radlens analyze`: one or a few images, a report each.
struct AnalyzeCommand: ParsableCommand {
    /// `_superCommandName` matters only when analyze is parsed on its own
    /// (`RadLensCommand.parseAnalyzeAlone`): it names `radlens` as the command above, and spares
    /// that parse ArgumentParser's two parsers looking for `--generate-completion-script`.
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        _superCommandName: "radlens",
        abstract: "Analyze images and print a structured report (research use only, not for diagnostic use).",
        discussion: """
            Decodes each image (PNG, JPEG; format recognised by content), preprocesses it exactly as \
            the model was trained, runs the model, and renders the findings, the calibrated \
            probability, the decision (positive / negative / indeterminate), quality flags and \
            provenance. Reports never carry patient identifiers: from DICOM only modality, body part, \
            view, pixel spacing and study/series UIDs are used. Without --output the reports go to standard output; with --output each \
            input gets <name>.txt, .json, .fhir.json, .html as requested, and a heatmap PNG for each \
            finding the model explains: <name>.heatmap.png for the first, <name>.heatmap.<label>.png \
            for the others.

            DICOM results for PACS (need --output): --format sr writes <name>.sr.dcm, a Comprehensive 3D SR \
            (TID 1500, as IHE AI Results asks: one measurement group per finding, present/absent/indeterminate \
            and the probability, the model named with its sha256); --format sc writes <name>.sc.dcm, the heatmap \
            as an RGB Secondary Capture with "research use only" burned in. These are the only outputs that carry \
            patient identifiers: they copy the source's Patient and Study attributes (name, ID, birth date, sex, \
            accession number, study UID) so that PACS files them in the source's study, in a new series. UIDs are \
            derived from the input's and the model's SHA-256, so a rerun writes the same objects' UIDs. PNG and \
            JPEG inputs get a new study UID and empty patient attributes.

            Examples:
              radlens analyze chest.jpeg
              radlens analyze chest.jpeg --lang zh
              radlens analyze chest.jpeg --format json
              radlens analyze a.png b.jpeg --format text,json,fhir,html --output reports/
              radlens analyze image.dcm --format sr,sc --output results/
            """)

    @Argument(help: "Image files.", completion: .file())
    var files: [String]

    @OptionGroup var model: ModelLocation

    @Option(help: "Comma-separated output formats: text, json, fhir, html, sr, sc (sr and sc need --output).")
    var format: String = "text"

    @Option(help: "Write reports into this folder instead of standard output.", completion: .directory)
    var output: String?

    @Option(help: "Report language: en or zh.")
    var lang: ReportLanguage = .en

    @Option(help: "A Mustache template for the text report, replacing the model bundle's.", completion: .file(extensions: ["mustache"]))
    var template: String?

    @OptionGroup var engine: EngineOptions

    func run() throws {
        let formats = try ReportFormat.parseList(format)
        if output == nil, let dicom = formats.first(where: \.isDICOM) {
            throw ValidationError("--format \(dicom.rawValue) writes a DICOM file: give --output FOLDER")
        }
        // The model loads and the first image is decoded while the other core checks the model's sha256.
        let (analyzer, prefetched) = try model.analyzer(options: engine.sessionOptions(), templatePath: template, prefetch: files.first,
                                                        language: lang, html: formats.contains(.html))
        // The engine is left for the process's exit to free: tearing it down here (unmapping
        // the model, its packed weights and buffers one by one, joining the engine's threads)
        // costs about 1.5 ms of a cold start that the exit does at once.
        _ = Unmanaged.passRetained(analyzer)
        var first = prefetched
        if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
        var failed = false
        var usedStems: [String: Int] = [:]
        for path in files {
            let heatmap = formats.contains(.html) || output != nil, dicomResults = Set(formats.filter(\.isDICOM))
            let outcome = first.map { analyzer.analyze($0, language: lang, heatmap: heatmap, dicomResults: dicomResults) }
                ?? analyzer.analyze(path: path, language: lang, heatmap: heatmap, dicomResults: dicomResults)
            first = nil
            if let error = outcome.report.error {
                printError("radlens: \(error.message)")
                failed = true
            }
            guard let output else {
                for format in formats { FileHandle.standardOutput.write(try analyzer.render(outcome, format: format, language: lang)) }
                continue
            }
            var stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            usedStems[stem, default: 0] += 1
            if usedStems[stem]! > 1 { stem += "-\(usedStems[stem]!)" }
            let base = URL(fileURLWithPath: output).appendingPathComponent(stem).path
            for format in formats {
                try AtomicFile.write(try analyzer.render(outcome, format: format, language: lang), to: "\(base).\(format.fileExtension)")
            }
            // One heatmap per explained finding: the first as <name>.heatmap.png, the others named by label.
            for (index, finding) in outcome.report.findings.enumerated() {
                guard let heatmap = outcome.heatmaps[finding.label] else { continue }
                try AtomicFile.write(Data(heatmap), to: index == 0 ? "\(base).heatmap.png" : "\(base).heatmap.\(finding.label).png")
            }
            print("\(path) -> \(base).{\(formats.map(\.fileExtension).joined(separator: ","))}")
        }
        if failed { throw ExitCode(1) }
    }
}

extension ReportLanguage: ExpressibleByArgument {}

extension ReportFormat {
    /// Parses "text,json" into formats, rejecting unknown names with the list of known ones.
    static func parseList(_ text: String) throws -> [ReportFormat] {
        try text.split(separator: ",").map { name in
            // Trimmed without Foundation's CharacterSet, whose set-up is 0.2 ms of a cold start.
            let trimmed = String(name.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            guard let format = ReportFormat(rawValue: trimmed) else {
                throw ValidationError("unknown format \"\(name)\"; choose from \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return format
        }
    }
}
