import ArgumentParser

/// The `radlens` command-line tool: parsing and printing only; the work lives in the libraries.
@main
struct RadLensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "radlens",
        abstract: "Medical image analysis pipeline: decode, normalize, classify, report. Research use only, not for diagnostic use.",
        discussion: """
            Examples:
              radlens analyze chest.jpeg               Findings, probability and decision for one radiograph
              radlens analyze chest.jpeg --lang zh --format text,json,fhir,html --output reports/
              radlens evaluate test/                   AUROC, accuracy, sensitivity, specificity on a labelled folder
              radlens inspect chest.png              Format, size, bit depth and sample range of an image
              radlens inspect scans/*.jpeg --format json
              radlens model info model.onnx          What an ONNX model needs and whether RadLens runs it
              radlens doctor                         CPU kernel level and threads
            """,
        version: RadLensVersion.description,
        subcommands: [AnalyzeCommand.self, BatchCommand.self, MergeCommand.self, RegressCommand.self, InspectCommand.self, ConvertCommand.self, EvaluateCommand.self, ModelCommand.self, DoctorCommand.self]
    )
}
