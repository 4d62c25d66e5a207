import ArgumentParser
import RadLensPipeline

/// `radlens merge`: join shard outputs.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the outputs of `radlens batch --shard I/N` runs, checking nothing is missing or doubled.",
        discussion: """
            Example:
              radlens merge out-0 out-1 out-2 out-3 --output out
            """)

    @Argument(help: "The shard output folders.", completion: .directory)
    var shards: [String]

    @Option(help: "Folder for the merged results.jsonl, summary.csv and run.json.", completion: .directory)
    var output: String

    func run() throws {
        do {
            let counts = try BatchMerge.merge(shards, into: output)
            print("merged \(shards.count) shards: \(counts.inputs) inputs, \(counts.failed) failed -> \(output)")
        } catch {
            printError("radlens: \(error.message)")
            throw ExitCode(2)
        }
    }
}
