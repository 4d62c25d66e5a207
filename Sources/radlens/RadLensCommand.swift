import ArgumentParser

/// The `radlens` command-line tool: parsing and printing only; the work lives in the libraries.
@main
struct RadLensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "radlens",
        abstract: "Medical image analysis pipeline: decode, normalize, classify, report. Research use only, not for diagnostic use.",
        discussion: """
            Examples:
              radlens analyze chest.jpeg                 report for one radiograph
              radlens analyze chest.dcm --lang zh        the same in Chinese
              radlens batch scans/ --output results/     a whole folder, resumable
              radlens evaluate test/                     figures on a labelled folder
              radlens inspect study.dcm                  what a file holds
              radlens model info model.onnx              can RadLens run this model?
              radlens doctor                             CPU kernel level in use
            """,
        version: RadLensVersion.description,
        subcommands: [AnalyzeCommand.self, BatchCommand.self, MergeCommand.self, RegressCommand.self, InspectCommand.self, ConvertCommand.self, EvaluateCommand.self, ModelCommand.self, DoctorCommand.self]
    )
}
