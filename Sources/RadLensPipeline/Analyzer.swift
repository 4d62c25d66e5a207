import Foundation
import RadLensImaging
import RadLensInference
import RadLensModel
import RadLensReport

/// The single-image pipeline behind `radlens analyze`, `batch` and `regress`: read, hash,
/// classify, explain (class activation map), and build the structured report. Failures become
/// reports with status "error", so a batch can record them and go on.
public final class Analyzer {
    public let classifier: Classifier
    public let templates: ReportTemplates
    public var manifest: ModelManifest { classifier.bundle.manifest }
    private let modelSHA256: String

    /// - Parameters:
    ///   - templatePath: a user's Mustache text template replacing the bundle's.
    ///   - weightCache: where packed weights are kept between processes (see `Classifier`).
    public convenience init(bundle: ModelBundle, options: SessionOptions = SessionOptions(), templatePath: String? = nil,
                limits: DecodeLimits = DecodeLimits(), weightCache: PackedWeightCache? = nil) throws(AnalysisError) {
        let classifier = try Classifier(bundle: bundle, options: options, limits: limits, weightCache: weightCache)
        do {
            self.init(classifier: classifier, templates: try ReportTemplates(bundleDirectory: bundle.directory, customText: templatePath))
        } catch {
            throw AnalysisError(.model, error.description)
        }
    }

    /// An analyzer from its parts, made apart (a cold start parses the templates on another core).
    public init(classifier: Classifier, templates: ReportTemplates) {
        self.classifier = classifier
        self.templates = templates
        modelSHA256 = classifier.bundle.manifest.model.sha256
    }

    private init(sharing other: Analyzer, threads: Int) throws(AnalysisError) {
        classifier = try other.classifier.replica(threads: threads)
        templates = other.templates
        modelSHA256 = other.modelSHA256
    }

    /// An analyzer for another worker thread, with `threads` engine threads, sharing this one's
    /// model (packed once) and templates.
    public func replica(threads: Int) throws(AnalysisError) -> Analyzer {
        try Analyzer(sharing: self, threads: threads)
    }

    /// Analyses the file at `path` and renders the report text in `language`. Reports record
    /// `displayPath` (default: `path` as the user gave it). With `heatmap`, the outcome carries a
    /// preview of the input and a class activation map per finding the bundle explains, at most `previewSide` pixels a side;
    /// with `thumbnailSide`, a small gray thumbnail too (the batch worklist's); with `dicomResults`
    /// (the DICOM formats asked for), for DICOM input the source's study context, and for `.sc`
    /// the overlay of the Secondary Capture.
    public func analyze(path: String, displayPath: String? = nil, language: ReportLanguage = .en, heatmap: Bool = true,
                        previewSide: Int = 512, thumbnailSide: Int? = nil, dicomResults: Set<ReportFormat> = []) -> AnalysisOutcome {
        analyze(displayPath: displayPath ?? path, language: language, heatmap: heatmap, previewSide: previewSide,
                thumbnailSide: thumbnailSide, dicomResults: dicomResults) { input throws(AnalysisError) in
            let bytes = try DecodedInput.readFile(path)
            input.sha256 = ModelBundle.sha256(bytes)
            return try classifier.classify(fileBytes: bytes, path: path)
        }
    }

    /// Analyses an input already read and decoded (`DecodedInput.load`), as `analyze(path:)` does,
    /// using its classification if it was classified ahead with this analyzer's classifier.
    public func analyze(_ decoded: DecodedInput, displayPath: String? = nil, language: ReportLanguage = .en, heatmap: Bool = true,
                        previewSide: Int = 512, thumbnailSide: Int? = nil, dicomResults: Set<ReportFormat> = []) -> AnalysisOutcome {
        // The total counts the decode, and a classification made ahead, as a later image's does.
        let classifiedAhead = (try? decoded.classification?.get()).map { $0.timings.preprocessMilliseconds + $0.timings.inferenceMilliseconds }
        return analyze(displayPath: displayPath ?? decoded.path, language: language, heatmap: heatmap, previewSide: previewSide,
                       thumbnailSide: thumbnailSide, dicomResults: dicomResults,
                       aheadMilliseconds: decoded.decodeMilliseconds + (classifiedAhead ?? 0)) { input throws(AnalysisError) in
            input.sha256 = decoded.sha256
            if let classification = decoded.classification { return try classification.get() }
            var result = try classifier.classify(try decoded.image.get())
            result.timings.decodeMilliseconds = decoded.decodeMilliseconds
            return result
        }
    }

    /// `aheadMilliseconds`: the time of stages run before this call (a prefetched input's
    /// decode, a classification made ahead), counted in the report's total.
    private func analyze(displayPath: String, language: ReportLanguage, heatmap: Bool, previewSide: Int, thumbnailSide: Int?,
                         dicomResults: Set<ReportFormat>, aheadMilliseconds: Double = 0,
                         classify: (inout AnalysisReport.InputInfo) throws(AnalysisError) -> Classification) -> AnalysisOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var input = AnalysisReport.InputInfo(path: displayPath)
        let modelInfo = AnalysisReport.ModelInfo(name: manifest.name, version: manifest.version, sha256: modelSHA256)
        let provenance = AnalysisReport.Provenance(radlensVersion: RadLensInfo.version, kernelLevel: classifier.kernelLevel.rawValue,
                                                   precision: classifier.precision.rawValue, generatedAt: Timestamp.iso8601())
        do throws(AnalysisError) {
            let result = try classify(&input)
            let image = result.image
            input.format = image.source.format?.rawValue
            input.width = image.source.storedWidth
            input.height = image.source.storedHeight
            input.study = image.source.dicom.map(Self.studyInfo)
            let studyContext = dicomResults.isEmpty ? nil : image.source.dicomStudy
            var report = AnalysisReport(status: .ok, input: input, model: modelInfo, findings: [], quality: AnalysisReport.Quality(),
                                        timingsMs: AnalysisReport.Timings(decode: result.timings.decodeMilliseconds,
                                                                          preprocess: result.timings.preprocessMilliseconds,
                                                                          inference: result.timings.inferenceMilliseconds),
                                        provenance: provenance)
            if let distance = result.oodDistance, let ood = manifest.ood {
                report.quality.oodDistance = (Double(distance) * 100).rounded() / 100
                report.quality.oodThreshold = Double(ood.threshold)
            }
            if result.isOutOfDistribution { report.quality.flags.append("out-of-distribution") }
            if min(image.source.storedWidth, image.source.storedHeight) < manifest.input.height {
                report.quality.flags.append("low-resolution")
            }
            let maps = classActivationMaps(result)
            var imagePNG: [UInt8]?
            var heatmaps: [String: [UInt8]] = [:]
            if heatmap {
                let display = displayImage(image, maxSide: previewSide)
                imagePNG = try? PNGEncoder(compressionLevel: 3).encode(display)
                for (score, map) in zip(result.scores, maps) {
                    if let map, let png = try? PNGEncoder(compressionLevel: 3).encode(map.overlay(on: display)) { heatmaps[score.id] = png }
                }
            }
            // The Secondary Capture shows the first finding's map.
            let overlay = dicomResults.contains(.sc) ? Self.overlay(maps.first ?? nil, on: displayImage(image, maxSide: Self.secondaryCaptureSide)) : nil
            let thumbnailPNG = thumbnailSide.flatMap { try? PNGEncoder(compressionLevel: 6).encode(thumbnailImage(image, maxSide: $0)) }
            report.findings = zip(result.scores, maps).map { score, map in
                AnalysisReport.Finding(label: score.id, kind: score.isGroup ? .group : classifier.head.kind == .multiclass ? .class : .label,
                                       members: score.isGroup ? score.members : nil,
                                       display: score.display, code: score.codes.first, codes: score.codes,
                                       probability: (Double(score.probability) * 1e6).rounded() / 1e6,
                                       threshold: Double(score.rule.threshold), indeterminateLow: Double(score.rule.indeterminateLow),
                                       indeterminateHigh: Double(score.rule.indeterminateHigh), decision: score.decision,
                                       attention: map?.attention())
            }
            let rendered = clock.now
            report.report = try? templates.renderText(report, manifest: manifest, language: language)
            report.timingsMs.report = (clock.now - rendered).milliseconds
            report.timingsMs.total = (clock.now - start).milliseconds + aheadMilliseconds
            return AnalysisOutcome(report: report, imagePNG: imagePNG, heatmaps: heatmaps, thumbnailPNG: thumbnailPNG,
                                   overlay: overlay, studyContext: studyContext)
        } catch {
            var report = AnalysisReport(status: .error, input: input, model: modelInfo, findings: [], quality: AnalysisReport.Quality(),
                                        timingsMs: AnalysisReport.Timings(total: (clock.now - start).milliseconds), provenance: provenance,
                                        error: AnalysisReport.ErrorInfo(kind: error.kind.rawValue, message: error.message))
            report.report = nil
            return AnalysisOutcome(report: report)
        }
    }

    /// The longest side of a Secondary Capture's image.
    static let secondaryCaptureSide = 1024

    /// The heatmap over `display`, or `display` itself when the model has no class activation map.
    static func overlay(_ cam: ClassActivationMap?, on display: Image) -> Image {
        cam?.overlay(on: display) ?? display
    }

    /// The report-safe DICOM attributes (never patient identifiers).
    static func studyInfo(_ metadata: DICOMMetadata) -> AnalysisReport.StudyInfo {
        AnalysisReport.StudyInfo(modality: metadata.modality, bodyPart: metadata.bodyPartExamined, viewPosition: metadata.viewPosition,
                                 pixelSpacing: metadata.pixelSpacing, studyInstanceUID: metadata.studyInstanceUID,
                                 seriesInstanceUID: metadata.seriesInstanceUID)
    }

    /// One class activation map per finding (nil where the bundle explains none).
    private func classActivationMaps(_ result: Classification) -> [ClassActivationMap?] {
        let weights = classifier.head.activationWeights(logits: result.logits)
        guard let map = result.featureMap, map.shape.count == 4 else { return weights.map { _ in nil } }
        return weights.map { row in
            row.flatMap { ClassActivationMap(featureMap: map.data, channels: map.shape[1], height: map.shape[2], width: map.shape[3], weights: $0) }
        }
    }

    /// Renders `outcome` in `format`.
    public func render(_ outcome: AnalysisOutcome, format: ReportFormat, language: ReportLanguage) throws(AnalysisError) -> Data {
        do {
            switch format {
            case .text:
                guard let text = outcome.report.report else {
                    return Data("RadLens: \(outcome.report.input.path): \(outcome.report.error?.message ?? "no report")\n\(AnalysisReport.disclaimer)\n".utf8)
                }
                return Data(text.utf8)
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                return try encoder.encode(outcome.report) + Data("\n".utf8)
            case .fhir:
                return try FHIRDiagnosticReport.json(outcome.report, language: language) + Data("\n".utf8)
            case .html:
                return Data(try templates.renderHTML(outcome.report, manifest: manifest, language: language,
                                                     imagePNG: outcome.imagePNG ?? [], heatmaps: outcome.heatmaps).utf8)
            case .sr:
                guard outcome.report.status == .ok else { throw AnalysisError(.io, "no DICOM SR for \(outcome.report.input.path): it was not analysed") }
                return Data(DICOMStructuredReport(report: outcome.report, study: outcome.studyContext).file())
            case .sc:
                guard outcome.report.status == .ok, let overlay = outcome.overlay else {
                    throw AnalysisError(.io, "no DICOM Secondary Capture for \(outcome.report.input.path): it was not analysed")
                }
                return Data(DICOMSecondaryCapture(report: outcome.report, study: outcome.studyContext, overlay: overlay).file())
            }
        } catch let error as AnalysisError {
            throw error
        } catch {
            throw AnalysisError(.io, "cannot render \(format.rawValue): \(error)")
        }
    }
}

/// One analysed input: the report plus images for HTML output.
public struct AnalysisOutcome: Sendable {
    public var report: AnalysisReport
    /// Gray preview of the input (PNG), when made.
    public var imagePNG: [UInt8]?
    /// Class activation map overlays (PNG) by finding label, when made.
    public var heatmaps: [String: [UInt8]]
    /// The first finding's overlay.
    public var heatmapPNG: [UInt8]? { report.findings.first.flatMap { heatmaps[$0.label] } }
    /// Small gray thumbnail (PNG), when asked for.
    public var thumbnailPNG: [UInt8]?
    /// The heatmap over the input, for a Secondary Capture, when asked for.
    public var overlay: Image?
    /// The DICOM source's patient and study, for DICOM results only (holds patient identifiers).
    public var studyContext: DICOMStudyContext?

    public init(report: AnalysisReport, imagePNG: [UInt8]? = nil, heatmaps: [String: [UInt8]] = [:], thumbnailPNG: [UInt8]? = nil,
                overlay: Image? = nil, studyContext: DICOMStudyContext? = nil) {
        self.report = report
        self.imagePNG = imagePNG
        self.heatmaps = heatmaps
        self.thumbnailPNG = thumbnailPNG
        self.overlay = overlay
        self.studyContext = studyContext
    }
}

/// RadLens's own version, recorded in every report.
public enum RadLensInfo {
    public static let version = "0.1.0"
}
