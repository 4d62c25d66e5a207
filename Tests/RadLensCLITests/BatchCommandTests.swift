import Foundation
import Glibc
import RadLensTestSupport
import Testing

/// `radlens batch` and `radlens merge` as a department runs them: whole folders, killed and
/// resumed, sharded over processes.
@Suite(.serialized) struct BatchCommandTests {
    static let include = ["--include", "*.png", "--include", "*.jpeg"]

    @Test func runRecordsEveryInputAndFailures() throws {
        let input = try makeBatchInput()
        let output = try TestPaths.temporaryDirectory("batch-output")
        let result = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel] + Self.include)
        #expect(result.status == 1, "exit 1 when some inputs failed: \(result.stderr)")
        let lines = try normalizedResults(output)
        #expect(lines.count == 20)  // 18 images + 2 broken; README.txt not included
        #expect(lines.filter { $0.contains("\"status\":\"error\"") }.count == 2)
        let summary = try String(contentsOf: output.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(summary.hasPrefix("path,status,label,probability,decision,error\n"))
        #expect(summary.contains("site0/broken.png,error"))
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("site1/series1/1-rgb8.png.json").path))
        let record = try JSON(contentsOf: output.appendingPathComponent("run.json"))
        #expect(try record["counts"]["inputs"].int() == 20)

        // A rerun skips everything already done with the same input and model.
        let again = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel] + Self.include)
        let second = try JSON(contentsOf: output.appendingPathComponent("run.json"))
        #expect(again.status == 1)
        #expect(try second["counts"]["skipped"].int() == 20)

        // A changed input is redone.
        try FileManager.default.removeItem(at: input.appendingPathComponent("site0/series0/0-rgb8.png"))
        try FileManager.default.copyItem(at: TestPaths.fixture("valid/rgba8.png"), to: input.appendingPathComponent("site0/series0/0-rgb8.png"))
        _ = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel] + Self.include)
        let third = try JSON(contentsOf: output.appendingPathComponent("run.json"))
        #expect(try third["counts"]["analysed"].int() == 1)
    }

    @Test func killedRunsResumeToTheSameResults() throws {
        let input = try makeBatchInput(copies: 4)
        let reference = try TestPaths.temporaryDirectory("batch-reference")
        _ = try radlens(["batch", input.path, "--output", reference.path, "--model", shippedModel, "--quiet"] + Self.include)
        let expected = try normalizedResults(reference)

        let output = try TestPaths.temporaryDirectory("batch-killed")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let process = Process()
            process.executableURL = TestPaths.radlens
            process.arguments = ["batch", input.path, "--output", output.path, "--model", shippedModel, "--quiet"] + Self.include
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...400_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let final = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel, "--quiet"] + Self.include)
        #expect(final.status == 1)
        #expect(try normalizedResults(output) == expected, "after 20 kills the results equal an uninterrupted run's")
        let leftovers = FileManager.default.enumerator(atPath: output.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")
    }

    @Test func fourShardsMergeToTheSingleRun() throws {
        let input = try makeBatchInput()
        let single = try TestPaths.temporaryDirectory("batch-single")
        _ = try radlens(["batch", input.path, "--output", single.path, "--model", shippedModel, "--quiet"] + Self.include)
        var shardFolders: [String] = []
        for index in 0..<4 {
            let folder = try TestPaths.temporaryDirectory("batch-shard\(index)")
            // Shard 3 takes its index from the Slurm environment, as an array job would.
            let arguments = index == 3 ? [] : ["--shard", "\(index)/4"]
            let environment = index == 3 ? ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"] : nil
            _ = try radlens(["batch", input.path, "--output", folder.path, "--model", shippedModel, "--quiet"] + arguments + Self.include,
                            environment: environment)
            shardFolders.append(folder.path)
        }
        let merged = try TestPaths.temporaryDirectory("batch-merged")
        let result = try radlens(["merge"] + shardFolders + ["--output", merged.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try normalizedResults(merged) == normalizedResults(single))

        let incomplete = try radlens(["merge"] + shardFolders.dropLast() + ["--output", merged.path])
        #expect(incomplete.status == 2 && incomplete.stderr.contains("missing"))
        let doubled = try radlens(["merge"] + shardFolders + [shardFolders[0], "--output", merged.path])
        #expect(doubled.status == 2)
    }

    /// --threads is the total: workers x engine threads stay within it.
    @Test func threadsIsTheTotalForTheProcess() throws {
        let input = try makeBatchInput(copies: 1)
        let output = try TestPaths.temporaryDirectory("batch-threads")
        let split = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel, "--threads", "2", "--jobs", "1", "--force"] + Self.include)
        // (Exit 1: the input folder holds two broken images.)
        #expect(split.status == 1 && split.stderr.contains("workers=1 x 2 engine thread(s)"), "\(split.stderr)")
        let defaults = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel, "--threads", "3", "--force"] + Self.include)
        #expect(defaults.status == 1 && defaults.stderr.contains("workers=3 x 1 engine thread(s)"), "\(defaults.stderr)")
        let tooMany = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel, "--threads", "2", "--jobs", "4"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("--jobs 4 is more workers than --threads 2 allows"), "\(tooMany.stderr)")
    }

    @Test func aResultThatCannotBeWrittenStopsTheRun() throws {
        // A folder where one input's JSON must go: its rename fails, whoever runs the test.
        let input = try makeBatchInput()
        let output = try TestPaths.temporaryDirectory("batch-unwritable")
        let blocked = output.appendingPathComponent("site0/series0/0-rgb8.png.json")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("in-the-way"), withIntermediateDirectories: true)
        let result = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel] + Self.include)
        #expect(result.status == 2, "a result that cannot be written is fatal: \(result.stderr)")
        #expect(result.stderr.contains("0-rgb8.png.json"), "the error names the file: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("results.jsonl").path))
        let leftovers = FileManager.default.enumerator(atPath: output.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
        #expect(leftovers == [], "no temporary file is left behind")
    }

    @Test func missingModelIsAFatalError() throws {
        let input = try makeBatchInput(copies: 1)
        let result = try radlens(["batch", input.path, "--output", NSTemporaryDirectory() + "/radlens-nomodel", "--model", "/nonexistent"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent"))
    }
}
