import ArgumentParser
import RadLensPipeline

/// `radlens regress`: the sample images against their expected outputs.
struct RegressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regress",
        abstract: "Run every sample image and compare with the committed expected outputs.",
        discussion: """
            Compares the JSON, English and Chinese text, and FHIR outputs of each image in FOLDER with \
            FOLDER/expected/. Numbers may differ within a tolerance; times are ignored. Exit status 1 \
            and a readable difference on mismatch. --update rewrites the expected files (review the diff!).

            Examples:
              radlens regress
              radlens regress SampleImages --update
            """)

    @Argument(help: "Folder of sample images.", completion: .directory)
    var folder: String = "SampleImages"

    @OptionGroup var model: ModelLocation

    @Flag(help: "Rewrite the expected outputs instead of comparing.")
    var update = false

    @Option(help: "Largest allowed absolute difference of numbers in JSON outputs.")
    var tolerance: Double = 1e-4

    func run() throws {
        let (analyzer, _) = try model.analyzer(options: .init(threads: 1))
        let (checked, mismatches) = try Regression.run(directory: folder, analyzer: analyzer, update: update, tolerance: tolerance)
        if update {
            print("regress: rewrote expected outputs of \(checked) sample images in \(folder)/expected")
            return
        }
        for mismatch in mismatches { print("MISMATCH \(mismatch)") }
        print("regress: \(checked) sample images, \(mismatches.count) mismatching outputs")
        if !mismatches.isEmpty { throw ExitCode(1) }
    }
}
