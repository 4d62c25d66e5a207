import Foundation
import RadLensModel

/// The values templates see: the report's data plus display helpers (percentages, flags for
/// the decision band, words for where the model looked), as a plain dictionary for Mustache.
enum ReportContext {
    /// Base64 PNGs for the HTML page: the input, and a heatmap per finding label.
    struct Images {
        var image: String
        var heatmaps: [String: String]
    }

    static func make(_ report: AnalysisReport, manifest: ModelManifest?, language: ReportLanguage,
                     images: Images? = nil) -> [String: Any] {
        func percent(_ value: Double) -> String { String(format: "%.1f", value * 100) }
        let findings: [[String: Any]] = report.findings.enumerated().map { index, finding in
            let label = manifest?.labels.first { $0.id == finding.label }
            let group = manifest?.head?.groups?.first { $0.id == finding.label }
            var entry: [String: Any] = [
                "label": finding.label, "display": finding.display, "displayLower": finding.display.lowercased(),
                "displayZh": label?.displayZh ?? group?.displayZh ?? finding.display,
                // A class of a softmax head: its share, and whether it is the one the pattern favours.
                "isClass": finding.kind == .class, "isFavoured": finding.decision != .negative,
                "probabilityPercent": percent(finding.probability), "thresholdPercent": percent(finding.threshold),
                "lowPercent": percent(finding.indeterminateLow), "highPercent": percent(finding.indeterminateHigh),
                "decision": finding.decision.rawValue,
                "isPositive": finding.decision == .positive, "isNegative": finding.decision == .negative,
                "isIndeterminate": finding.decision == .indeterminate,
                "codeText": finding.code.map { "\($0.display) (\($0.code))" } ?? "",
                // Text explains a softmax class only when the pattern favours it.
                "hasAttention": finding.attention != nil && !(finding.kind == .class && finding.decision == .negative),
            ]
            if let heatmap = images?.heatmaps[finding.label] {
                entry["camPNG"] = heatmap
                entry["camID"] = index == 0 ? "heatmap" : "heatmap-\(finding.label)"
            }
            if let attention = finding.attention {
                entry["zone"] = attention.zone
                entry["side"] = attention.side
                entry["sideBoth"] = attention.side == "both"
                entry["zoneZh"] = ["upper": "图像上部", "middle": "图像中部", "lower": "图像下部"][attention.zone] ?? attention.zone
                entry["sideZh"] = ["left": "图像左侧", "right": "图像右侧", "both": "图像两侧"][attention.side] ?? attention.side
            }
            return entry
        }
        var context: [String: Any] = [
            "lang": language.rawValue,
            "disclaimer": report.disclaimer,
            "input": [
                "path": report.input.path, "sha256": report.input.sha256 ?? "", "sha256short": String((report.input.sha256 ?? "").prefix(12)),
                "format": report.input.format ?? "?", "width": report.input.width ?? 0, "height": report.input.height ?? 0,
            ] as [String: Any],
            "findings": findings,
            "isOutOfDistribution": report.quality.flags.contains("out-of-distribution"),
            "oodDistance": report.quality.oodDistance.map { String(format: "%.1f", $0) } ?? "",
            "oodThreshold": report.quality.oodThreshold.map { String(format: "%.1f", $0) } ?? "",
            "radlensVersion": report.provenance.radlensVersion,
            "generatedAt": report.provenance.generatedAt,
            "report": report.report ?? "",
        ]
        if let population = language == .zh ? manifest?.trainingPopulationZh : manifest?.trainingPopulation { context["trainingPopulation"] = population }
        if let model = report.model {
            context["model"] = ["name": model.name, "version": model.version, "sha256": model.sha256, "sha256short": String(model.sha256.prefix(12))]
        }
        if let study = report.input.study {
            let fields: [String: String?] = ["modality": study.modality, "bodyPart": study.bodyPart, "viewPosition": study.viewPosition]
            context["study"] = fields.compactMapValues { $0 }
        }
        if let images {
            context["imagePNG"] = images.image
            if let first = report.findings.first, let heatmap = images.heatmaps[first.label] { context["heatmapPNG"] = heatmap }
        }
        return context
    }
}
