import ArgumentParser
import Foundation
import RadLensImaging
import RadLensInference
import RadLensModel
import RadLensPipeline
import RadLensReport

/// `radlens model check`: what is wrong with a bundle, before a batch finds out.
struct ModelCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a model bundle: manifest, model file and hash, head, preprocessing, a test inference, templates.",
        discussion: """
            Loads the bundle as analyze does, runs the model once on a synthetic gray image and \
            checks its outputs against the manifest's head. Prints each check; exit status 1 when \
            one fails.

            Example:
              radlens model check bundles/subtype
            """)

    @Argument(help: "The bundle folder.", completion: .directory)
    var bundle: String

    func run() throws {
        var failed = false
        func report(_ ok: Bool, _ line: String) {
            print("\(ok ? "ok  " : "FAIL") \(line)")
            if !ok { failed = true }
        }
        let loaded: ModelBundle
        do {
            loaded = try ModelBundle(at: bundle)
        } catch {
            report(false, error.description)
            throw ExitCode(1)
        }
        let manifest = loaded.manifest
        report(true, "manifest schema \(manifest.schemaVersion), model \(manifest.model.file) sha256 matches")
        let head = try? ModelHead(manifest)
        report(head != nil, "head \(head?.kind.rawValue ?? "?") with \(manifest.labels.count) label(s), \(manifest.head?.groups?.count ?? 0) group(s)")
        do {
            let analyzer = try Analyzer(bundle: loaded)
            report(true, "the engine plans the model (\(analyzer.classifier.kernelLevel.rawValue) kernels)")
            let side = max(manifest.input.width, manifest.input.height) * 2
            let pixels = (0..<side * side).map { UInt8(truncatingIfNeeded: ($0 % side + $0 / side) / 2) }
            let result = try analyzer.classifier.classify(Image(width: side, height: side, channels: 1, pixels: .uint8(pixels)))
            report(true, "a test inference gives " + result.scores.map { "\($0.id) p=\(String(format: "%.3f", $0.probability))" }.joined(separator: ", "))
            if let cam = manifest.cam {
                let channels = result.featureMap.flatMap { $0.shape.count == 4 ? $0.shape[1] : nil }
                let rows = cam.logitWeights ?? [cam.weights]
                let fits = channels != nil && rows.allSatisfy { $0.count == channels } && (cam.logitWeights == nil || rows.count == head?.logitCount)
                let explained = head?.activationWeights(logits: result.logits).filter { $0 != nil }.count ?? 0
                report(fits, fits ? "class activation maps for \(explained) of \(result.scores.count) finding(s)"
                                  : "cam weights (\(rows.count) row(s) of \(rows.first?.count ?? 0)) do not fit the feature map output \(manifest.model.featureMapOutput ?? "(none)") with \(channels.map(String.init) ?? "no") channels")
            }
        } catch {
            report(false, "\(error)")
        }
        let templates = ReportTemplatesCheck.missing(in: loaded.directory)
        report(templates.isEmpty, templates.isEmpty ? "report templates present" : "missing templates: \(templates.joined(separator: ", ")) (text and HTML reports need them)")
        if failed { throw ExitCode(1) }
    }
}

/// The template files a bundle should carry: a text template per report language and the HTML one.
enum ReportTemplatesCheck {
    static let names = ReportLanguage.allCases.map { "report.\($0.rawValue).mustache" } + ["report.html.mustache"]
    static func missing(in directory: URL) -> [String] {
        names.filter { !FileManager.default.fileExists(atPath: directory.appendingPathComponent("templates/\($0)").path) }
    }
}
