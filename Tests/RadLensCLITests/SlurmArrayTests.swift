import Foundation
import RadLensTestSupport
import Testing

/// The Slurm array script and the Kubernetes Indexed Job's command line, run for real on a
/// single-node Slurm (munged, slurmctld and slurmd started by the test as plain daemons with
/// everything in a temporary folder, stopped by their pids) with the installed binary on PATH.
@Suite(.serialized) struct SlurmArrayTests {
    static let minicluster = TestPaths.repository.appendingPathComponent("Tools/slurm/minicluster.sh").path

    /// A running cluster and the environment its clients need.
    struct Cluster {
        let folder: URL
        let environment: [String: String]

        /// Runs a Slurm client command; fails the test when it fails.
        @discardableResult
        func client(_ command: String, _ arguments: [String], in directory: URL? = nil) throws -> String {
            let result = try ProcessRunner.run(command, arguments, environment: environment, currentDirectory: directory)
            try #require(result.status == 0, "\(command) \(arguments.joined(separator: " ")): \(result.stderr)")
            return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Waits until no task of `job` is pending or running (bounded: `seconds`).
        func waitUntilDone(_ job: String, seconds: Double = 180) throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                // A busy controller may time out one query; only the deadline fails the test.
                let states = try ProcessRunner.run("squeue", ["-h", "-j", job, "-o", "%T"], environment: environment)
                if states.status == 0 && states.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
                usleep(300_000)
            }
            Issue.record("job \(job) did not finish within \(seconds) s")
        }

        /// Stops the daemons (by pid) and removes the cluster's folder, unless test files are kept.
        func stop() {
            _ = try? ProcessRunner.run(SlurmArrayTests.minicluster, ["stop", folder.path])
            if !TestPaths.keepsFiles { try? FileManager.default.removeItem(at: folder) }
        }
    }

    static func startCluster(prefix: URL) throws -> Cluster {
        // Short path: munge's socket path is limited in length.
        let folder = URL(fileURLWithPath: "/tmp/rl-slurm-\(UUID().uuidString.prefix(8))")
        let started = try ProcessRunner.run(minicluster, ["start", folder.path])
        try #require(started.status == 0, "the cluster did not start: \(started.stderr)")
        let conf = try #require(started.stdoutText.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let path = prefix.appendingPathComponent("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return Cluster(folder: folder, environment: ["SLURM_CONF": conf, "PATH": path, "RADLENS_MODEL": ""])
    }

    @Test(.enabled(if: InstallTests.hasRelease, "the release build is absent: `make test` builds it"),
          .enabled(if: getuid() == 0, "a single-node Slurm with SlurmUser=root needs root"), .needsTool("slurmctld"), .needsTool("slurmd"), .needsTool("munged"), .needsTool("sbatch"))
    func arrayJobAndIndexedJobCommandEqualASingleRun() throws {
        let start = Date()
        let prefix = try InstallTests.install()
        let input = try makeBatchInput(copies: 4)
        let work = try TestPaths.temporaryDirectory("slurm-work")
        let single = work.appendingPathComponent("single")
        let radlens = prefix.appendingPathComponent("bin/radlens").path
        _ = try ProcessRunner.run(radlens, ["batch", input.path, "--output", single.path, "--quiet"], environment: ["RADLENS_MODEL": ""])
        let expected = try normalizedResults(single)
        #expect(expected.count == 27, "24 images, 2 broken files and a README, all recorded")

        let cluster = try Self.startCluster(prefix: prefix)
        defer { cluster.stop() }
        print("slurm: cluster up after \(String(format: "%.1f", Date().timeIntervalSince(start))) s")

        // docs/slurm/radlens-array.sbatch exactly as its header says. Each task asks for 2 CPUs; on a
        // 2-CPU node they run one at a time and task 3 is still pending when it is cancelled (on a
        // larger node it may be running: cancelled either way, its shard never completes).
        let script = TestPaths.repository.appendingPathComponent("docs/slurm/radlens-array.sbatch").path
        let output = work.appendingPathComponent("array")
        let job = try cluster.client("sbatch", ["--parsable", "--array=0-3", script, input.path, output.path], in: work)
        // A pending task lives inside the array's record until something splits it off; split, so the
        // cancelled task keeps a record that `scontrol requeue` can bring back.
        try cluster.client("scontrol", ["update", "jobid=\(job)_3", "Comment=cancelled-by-test"])
        try cluster.client("scancel", ["\(job)_3"])
        try cluster.waitUntilDone(job)
        let merged = work.appendingPathComponent("merged")
        let incomplete = try ProcessRunner.run(radlens, ["merge"] + (0..<4).map { output.appendingPathComponent("shard-\($0)").path }
                                                + ["--output", merged.path])
        #expect(incomplete.status == 2, "shard 3 was cancelled: merge must refuse")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("shard-3/run.json").path))

        // Requeue the cancelled task; then the merge equals the single run.
        try cluster.client("scontrol", ["requeue", "\(job)_3"])
        try cluster.waitUntilDone(job)
        let shards = (0..<4).map { output.appendingPathComponent("shard-\($0)").path }
        let merge = try ProcessRunner.run(radlens, ["merge"] + shards + ["--output", merged.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try normalizedResults(merged) == expected, "array + requeue + merge equals one run")
        for index in 0..<4 {
            let log = work.appendingPathComponent("radlens-\(job)_\(index).log")
            #expect(FileManager.default.fileExists(atPath: log.path), "the task log the script names")
        }

        // The Kubernetes Indexed Job's command line, verbatim from the manifest, with the pod's
        // JOB_COMPLETION_INDEX and RADLENS_SHARD_COUNT (and no Slurm array variables).
        let manifest = try String(contentsOf: TestPaths.repository.appendingPathComponent("docs/kubernetes/radlens-indexed-job.yaml"), encoding: .utf8)
        let command = try #require(manifest.split(separator: "\n").first { $0.contains("- radlens batch") })
            .trimmingCharacters(in: .whitespaces).dropFirst(2)
        let kubernetes = work.appendingPathComponent("kubernetes")
        let pod = command.replacingOccurrences(of: "/data/cxr", with: input.path).replacingOccurrences(of: "/results", with: kubernetes.path)
        let wrap = "export JOB_COMPLETION_INDEX=$SLURM_ARRAY_TASK_ID RADLENS_SHARD_COUNT=4; "
            + "unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN; " + pod
        let indexed = try cluster.client("sbatch", ["--parsable", "--array=0-3", "--output=pod-%a.log", "--wrap", wrap], in: work)
        try cluster.waitUntilDone(indexed)
        let podMerge = try ProcessRunner.run(radlens, ["merge"] + (0..<4).map { kubernetes.appendingPathComponent("shard-\($0)").path }
                                              + ["--output", work.appendingPathComponent("kubernetes-merged").path])
        #expect(podMerge.status == 0, "\(podMerge.stderr)")
        #expect(try normalizedResults(work.appendingPathComponent("kubernetes-merged")) == expected)
        print("slurm: array, requeue and Indexed Job command done in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}
