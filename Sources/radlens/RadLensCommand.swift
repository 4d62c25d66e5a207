import ArgumentParser

/// The `radlens` command-line tool: parsing and printing only; the work lives in the libraries.
@main
struct RadLensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "radlens",
        abstract: "Medical image analysis pipeline: decode, normalize, classify, report. Research use only, not for diagnostic use.",
        discussion: """
            Examples:
              radlens inspect chest.png              Format, size, bit depth and sample range of an image
              radlens inspect scans/*.jpeg --format json
            """,
        version: RadLensVersion.description,
        subcommands: [InspectCommand.self]
    )
}
