import Foundation
import RadLensReport

/// The page `radlens evaluate --report FILE.html` writes: an evaluation's figures with bootstrap
/// intervals, its ROC curve and reliability diagram, and previews (with heatmaps) of the images
/// it got wrong, made by running `analyzer` on them again.
public enum EvaluationReport {
    /// At most this many misclassified images are shown, the most confidently wrong first.
    public static let shownMisclassified = 48

    public static func page(_ evaluation: Evaluation, directory: String, analyzer: Analyzer, resamples: Int = 2000) -> EvaluationPage {
        let manifest = analyzer.manifest
        let m = evaluation.metrics
        let labels = evaluation.predictions.map(\.label), probabilities = evaluation.predictions.map(\.probability)
        let intervals = BootstrapIntervals(labels: labels, probabilities: probabilities, threshold: m.threshold, resamples: resamples)
        let curve = ROCCurve(labels: labels, scores: probabilities)
        let roc = curve.map { zip($0.falsePositiveRates, $0.truePositiveRates).map { SVGChart.Point(x: $0, y: $1) } } ?? []
        let bins = CalibrationBins(labels: labels, probabilities: probabilities)
        let names = (negative: manifest.negativeLabel?.id ?? "negative", positive: analyzer.classifier.head.primary.id)

        let rows = evaluation.predictions.map {
            EvaluationPage.Prediction(path: $0.path, truth: $0.label == 1 ? names.positive : names.negative, probability: $0.probability)
        }
        /// How far a prediction is from its label: the most confidently wrong come first.
        func error(_ p: Evaluation.Prediction) -> Double { abs(p.probability - Double(p.label)) }
        let wrong = evaluation.predictions.indices
            .filter { (evaluation.predictions[$0].probability >= m.threshold ? 1 : 0) != evaluation.predictions[$0].label }
            .sorted { error(evaluation.predictions[$0]) > error(evaluation.predictions[$1]) }
            .map { rows[$0] }
        let cases = wrong.prefix(shownMisclassified).map { row in
            let path = URL(fileURLWithPath: directory).appendingPathComponent(row.path).path
            let outcome = analyzer.analyze(path: path, displayPath: row.path, heatmap: true, previewSide: 200)
            return EvaluationPage.Case(prediction: row, imagePNG: outcome.imagePNG ?? [], heatmapPNG: outcome.heatmapPNG)
        }
        let figures = [
            EvaluationPage.Figure(name: "AUROC", value: m.auroc, low: intervals.auroc.low, high: intervals.auroc.high),
            EvaluationPage.Figure(name: "Accuracy", value: m.accuracy, low: intervals.accuracy.low, high: intervals.accuracy.high),
            EvaluationPage.Figure(name: "Sensitivity", value: m.sensitivity, low: intervals.sensitivity.low, high: intervals.sensitivity.high),
            EvaluationPage.Figure(name: "Specificity", value: m.specificity, low: intervals.specificity.low, high: intervals.specificity.high),
            EvaluationPage.Figure(name: "ECE (15 bins)", value: m.ece, low: intervals.ece.low, high: intervals.ece.high),
        ]
        let negatives = max(m.confusion[0][0] + m.confusion[0][1], 1), positives = max(m.confusion[1][0] + m.confusion[1][1], 1)
        return EvaluationPage(
            directory: directory,
            model: AnalysisReport.ModelInfo(name: manifest.name, version: manifest.version, sha256: manifest.model.sha256),
            generatedAt: Timestamp.iso8601(), classNames: names, threshold: m.threshold, n: m.n, figures: figures,
            bootstrapResamples: resamples, confusion: m.confusion, roc: roc,
            rocBandLower: zip(intervals.rocGrid, intervals.rocLower).map { SVGChart.Point(x: $0, y: $1) },
            rocBandUpper: zip(intervals.rocGrid, intervals.rocUpper).map { SVGChart.Point(x: $0, y: $1) },
            operatingPoint: SVGChart.Point(x: Double(m.confusion[0][1]) / Double(negatives), y: Double(m.confusion[1][1]) / Double(positives)),
            calibration: bins.counts.indices.map {
                EvaluationPage.CalibrationBin(meanProbability: bins.meanProbabilities[$0], observedRate: bins.observedRates[$0], count: bins.counts[$0])
            },
            misclassified: Array(cases), misclassifiedTotal: wrong.count,
            predictions: rows,
            failures: evaluation.failures)
    }
}
