import ArgumentParser
import Foundation
import RadLensInference
import RadLensPipeline

/// `radlens evaluate`: how good the model is on labelled images, through the full Swift pipeline.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Run the model on a labelled folder and report AUROC, accuracy, sensitivity, specificity.",
        discussion: """
            DIR holds one sub-folder per class; the model's manifest maps folder names to labels \
            (for the shipped model: NORMAL and PNEUMONIA). Every image goes through the same decode, \
            preprocessing and engine as `radlens analyze`. Research use only. The figures are those \
            of the first finding (a group, or the first label); for multiclass heads also per class: \
            accuracy, N x N confusion, one-vs-rest AUROC, sensitivity and specificity, macro AUROC, and \
            AUROC within each two-member group (e.g. bacterial vs viral among pneumonia), with the \
            class taken from the manifest's filePatterns (e.g. *_bacteria_*) or the folder.

            --report FILE.html writes one self-contained page (no network needed to open it): the ROC \
            curve with its bootstrap band, the reliability diagram, the confusion matrix, the figures \
            with 95% bootstrap intervals, and the misclassified images with their heatmaps.

            Examples:
              radlens evaluate ../shared/data/kermany-cxr/224/test
              radlens evaluate test/ --report evaluation.html
              radlens evaluate test/ --format json --predictions predictions.csv
            """)

    @Argument(help: "Folder with one sub-folder per class.", completion: .directory)
    var directory: String

    @OptionGroup var model: ModelLocation

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Also write per-image predictions (path,label,probability) to this CSV file.")
    var predictions: String?

    @Option(help: "Also write an HTML page with the ROC curve, reliability diagram, confusion matrix and misclassified images.",
            completion: .file(extensions: ["html"]))
    var report: String?

    @OptionGroup var engine: EngineOptions

    func run() throws {
        let (analyzer, _) = try model.analyzer(options: engine.sessionOptions())
        var lastReport = Date()
        let evaluation = try Evaluation.run(directory: directory, classifier: analyzer.classifier) { done, total in
            if Date().timeIntervalSince(lastReport) > 5 || done == total {
                printError("evaluate: \(done)/\(total) images")
                lastReport = Date()
            }
        }
        for failure in evaluation.failures { printError("radlens: \(failure)") }
        if let predictions {
            try AtomicFile.write(Data(evaluation.predictionsCSV.utf8), to: predictions)
        }
        if let report {
            let page = EvaluationReport.page(evaluation, directory: directory, analyzer: analyzer)
            try AtomicFile.write(Data(page.html().utf8), to: report)
            printError("evaluate: wrote \(report)")
        }
        let m = evaluation.metrics
        switch format {
        case .json:
            struct Output: Encodable {
                var n: Int, auroc: Double, accuracy: Double, sensitivity: Double, specificity: Double
                var confusion: [[Int]], ece: Double, threshold: Double, imagesPerSecond: Double, failures: [String]
                var classes: ClassMetrics?
            }
            print(try JSONOutput.string(Output(n: m.n, auroc: m.auroc, accuracy: m.accuracy, sensitivity: m.sensitivity,
                                               specificity: m.specificity, confusion: m.confusion, ece: m.ece, threshold: m.threshold,
                                               imagesPerSecond: evaluation.imagesPerSecond, failures: evaluation.failures,
                                               classes: evaluation.classMetrics)))
        case .text:
            print(String(format: """
                n %d  AUROC %.4f  accuracy %.4f  sensitivity %.4f  specificity %.4f  ECE %.4f  (threshold %.3f)
                confusion [[tn %d, fp %d], [fn %d, tp %d]]  %.1f images/s
                """, m.n, m.auroc, m.accuracy, m.sensitivity, m.specificity, m.ece, m.threshold,
                         m.confusion[0][0], m.confusion[0][1], m.confusion[1][0], m.confusion[1][1], evaluation.imagesPerSecond))
            if let c = evaluation.classMetrics {
                print(String(format: "classes: n %d  accuracy %.4f  macro AUROC %.4f", c.n, c.accuracy, c.macroAUROC))
                for k in c.classes {
                    print(String(format: "  %@: n %d  AUROC %.4f (one vs rest)  sensitivity %.4f  specificity %.4f", k.label, k.n, k.auroc, k.sensitivity, k.specificity))
                }
                print("  confusion (rows true, columns top class; \(c.classes.map(\.label).joined(separator: ", "))): \(c.confusion)")
                for g in c.withinGroups { print(String(format: "  %@: n %d  AUROC %.4f  accuracy %.4f", g.name, g.n, g.auroc, g.accuracy)) }
            }
        }
        if !evaluation.failures.isEmpty { throw ExitCode(1) }
    }
}
