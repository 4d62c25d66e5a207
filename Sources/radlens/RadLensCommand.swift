import ArgumentParser
import Foundation

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

            Errors go to standard error as "radlens: <what> (<why>)". Exit status: 0 success, \
            1 some inputs failed (the others were done), 2 the command could not run (e.g. no model \
            bundle), 64 the command line is wrong (then the usage follows).
            """,
        version: RadLensVersion.description,
        subcommands: [AnalyzeCommand.self, BatchCommand.self, MergeCommand.self, RegressCommand.self, InspectCommand.self, ConvertCommand.self, EvaluateCommand.self, ModelCommand.self, DoctorCommand.self]
    )

    /// A clean `analyze` command line parsed by itself, skipping the root's work: the tree of
    /// every subcommand and the completion-script check (1.4 ms of a cold start's 3.4 ms parse).
    /// Nil for anything else, help and errors included, which the full parse then answers as
    /// always.
    static func parseAnalyzeAlone(_ arguments: [String]) -> ParsableCommand? {
        guard arguments.first == "analyze" else { return nil }
        return (try? AnalyzeCommand.parseAsRoot(Array(arguments.dropFirst()))) as? AnalyzeCommand
    }

    /// Parses, then runs. A wrong command line is answered with its usage (exit 64); an error
    /// while running is one line on standard error, without usage text (exit 2).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        ModelLocation.prefetch(forArguments: arguments)
        var command: ParsableCommand
        do {
            command = try parseAnalyzeAlone(arguments) ?? parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ValidationError {
            // An option value only run() could judge: still the command line's fault.
            let name = type(of: command).configuration.commandName ?? "radlens"
            printError("radlens: \(error.message)\nSee 'radlens \(name) --help' for the usage.")
            self.exit(withError: ExitCode(64))
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Exit codes, help and version requests (a help request arrives as ArgumentParser's
            // internal CommandError, which cannot be named here): ArgumentParser's own.
            self.exit(withError: error)
        } catch {
            printError("radlens: \(error)")
            self.exit(withError: ExitCode(2))
        }
    }
}
