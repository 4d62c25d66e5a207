import ArgumentParser
import Foundation
import Logging
import RadLensDICOMweb
import RadLensInference
import RadLensPipeline
import RadLensReport

/// `radlens batch`: a folder of images, unattended, resumable, shardable.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Analyze every image under a folder into an output folder (resumable, shardable).",
        discussion: """
            Results mirror the input tree: <output>/<relative path>.json (and .txt, .fhir.json, .html as \
            requested) with a small .thumb.png, plus results.jsonl, summary.csv, run.json and index.html: \
            a worklist of every input (open it in a browser; no network needed) with thumbnails, \
            probability, decision, quality flags and errors, sortable by any column and filterable, \
            linking to each report. Each result is written atomically as \
            soon as it is done: kill the run at any moment and run it again; inputs whose result records \
            the same input and model sha256 are skipped (--force redoes all). A bad file is recorded with \
            its error and the run goes on.

            DICOM results for PACS: --format sr,sc adds <relative path>.sr.dcm (TID 1500 Comprehensive 3D SR) and \
            .sc.dcm (heatmap Secondary Capture). They carry the source's patient and study attributes so PACS files \
            them with the source: the only outputs that hold patient identifiers (see `radlens analyze --help`).

            From a PACS over DICOMweb: give the server's DICOMweb root as input. QIDO-RS finds the studies \
            matching --query and their image instances (not SR, presentation states or RadLens's own \
            results); WADO-RS retrieves them, streamed to disk, into <output>/.dicomweb/instances/ (the \
            source images, patient identifiers included: protect or delete that folder); they are analysed \
            as above; with --push each result's SR (and SC with --format sc) is stored into its source's \
            study by STOW-RS and recorded in <result>.pushed.json, so a rerun pushes nothing twice and \
            completes a run that stopped (server down, timeout). --shard splits by SOP Instance UID. \
            Credentials come from RADLENS_DICOMWEB_USER and RADLENS_DICOMWEB_PASSWORD (basic), \
            RADLENS_DICOMWEB_TOKEN (bearer) or --netrc FILE, never from the command line, and are never \
            logged. See docs/dicomweb.md.

            Exit status: 0 all inputs analysed, 1 some failed, 2 usage or fatal error (e.g. model missing).

            Scale out: --shard I/N takes a deterministic share (by path hash); N processes cover every \
            input exactly once. I and N are also read from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or \
            JOB_COMPLETION_INDEX with RADLENS_SHARD_COUNT (Kubernetes Indexed Jobs). Join shards with \
            `radlens merge`. See docs/scale-out.md.

            Examples:
              radlens batch /data/cxr --output /results/cxr
              radlens batch /data/pacs --output out --include "*.jpeg" --include "*.png" --format json,text
              radlens batch /data/cxr --output out-0 --shard 0/4
              radlens batch /data/dicom --output out --format json,sr,sc
              RADLENS_DICOMWEB_USER=ai RADLENS_DICOMWEB_PASSWORD=... \\
                radlens batch https://pacs.example.org/dicom-web --output out --query ModalitiesInStudy=CR --push
            """)

    @Argument(help: "Folder of images (searched recursively), or a DICOMweb root URL (http(s)://host:port/dicom-web).",
              completion: .directory)
    var input: String

    @Option(help: "Output folder.", completion: .directory)
    var output: String

    @OptionGroup var model: ModelLocation

    @Option(help: "Comma-separated formats per input: json (always written), text, fhir, html, sr, sc.")
    var format: String = "json"

    @Option(help: "Only files whose name matches this glob (repeatable), e.g. \"*.jpeg\".")
    var include: [String] = []

    @Option(help: "Threads in all (default: all processors). Workers x engine threads never exceed it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: """
        Parallel workers, each decoding, preprocessing and inferring one image at a time (default: \
        --threads; each worker's engine then gets --threads / --jobs threads).
        """)
    var jobs: Int?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be 1 or more") }
        if let jobs {
            guard jobs >= 1 else { throw ValidationError("--jobs must be 1 or more") }
            guard jobs <= threads else {
                throw ValidationError("--jobs \(jobs) is more workers than --threads \(threads) allows (workers x engine threads stay within --threads); raise --threads or lower --jobs")
            }
        }
    }

    /// Workers, and engine threads for each: all threads as workers unless --jobs says fewer.
    var workers: (jobs: Int, threadsPerJob: Int) {
        let jobs = jobs ?? threads
        return (jobs, max(1, threads / jobs))
    }

    @Option(help: "Engine precision: fp32, or fast (Winograd 3x3 convolutions; same decisions, probabilities within ~1e-6).")
    var precision: Precision = .fp32

    @Option(help: "Process share I of N (e.g. 0/4); default from Slurm or Kubernetes environment variables.")
    var shard: String?

    @Option(help: ArgumentHelp("DICOMweb input: a QIDO-RS study query KEY=VALUE (repeatable), e.g. ModalitiesInStudy=CR, StudyDate=20240101-.",
                               valueName: "key=value"))
    var query: [String] = []

    @Flag(help: "DICOMweb input: store each result's SR (and SC with --format sc) into its source's study (STOW-RS).")
    var push = false

    @Option(help: "DICOMweb input: push to this DICOMweb root instead of the source server.")
    var pushTo: String?

    @Option(help: "DICOMweb credentials from a netrc file (else RADLENS_DICOMWEB_USER/_PASSWORD or RADLENS_DICOMWEB_TOKEN).", completion: .file())
    var netrc: String?

    @Option(help: "DICOMweb over TLS: trust the CA certificates in this PEM file instead of the system's.", completion: .file())
    var caFile: String?

    @Flag(help: "Redo inputs that already have a result.")
    var force = false

    @Option(help: "Report language: en or zh.")
    var lang: ReportLanguage = .en

    @Flag(help: "Only warnings and errors on standard error.")
    var quiet = false

    @Option(help: "Log lines as text or json.")
    var logFormat: LogFormat = .text

    func run() throws {
        let logger = makeLogger("radlens.batch", format: logFormat, quiet: quiet)
        do {
            var formats = try ReportFormat.parseList(format)
            if !formats.contains(.json) { formats.append(.json) }
            let shardValue = try shard.map { text throws(AnalysisError) in try Shard(parsing: text) }
                ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment)
            let modelPath = try model.resolvedPath()
            let isDICOMweb = input.hasPrefix("http://") || input.hasPrefix("https://")
            if !isDICOMweb, let option = [("--query", !query.isEmpty), ("--push", push), ("--push-to", pushTo != nil),
                                          ("--netrc", netrc != nil), ("--ca-file", caFile != nil)].first(where: \.1)?.0 {
                throw ValidationError("\(option) needs a DICOMweb URL as input (http(s)://host:port/dicom-web)")
            }
            if (push || pushTo != nil) && !formats.contains(.sr) { formats.append(.sr) }
            let options = BatchOptions(input: input, output: output, modelPath: modelPath, formats: formats, include: include,
                                       jobs: workers.jobs, threadsPerJob: workers.threadsPerJob, shard: shardValue, force: force, language: lang,
                                       precision: precision, weightCache: PackedWeightCache.standard())
            logger.info("batch started", metadata: ["input": "\(input)", "output": "\(output)", "shard": "\(shardValue?.description ?? "all")",
                                                 "workers": "\(workers.jobs) x \(workers.threadsPerJob) engine thread(s)"])
            let reporter = ProgressReporter(logger: logger, quiet: quiet)
            let record: BatchRecord
            if isDICOMweb {
                let pacs = try pacsOptions(batch: options)
                let (pacsCounts, pacsRecord) = try PACSBatchRun.run(pacs, log: { line in logger.info("\(line)") }) { counts in reporter.update(counts) }
                record = pacsRecord
                reporter.finish()
                let p = pacsCounts
                logger.info("dicomweb finished", metadata: ["studies": "\(p.studies)", "instances": "\(p.instances)", "retrieved": "\(p.retrieved)",
                                                           "cached": "\(p.cached)", "ignored": "\(p.ignored)", "retrieveFailed": "\(p.retrieveFailed)",
                                                           "pushed": "\(p.pushed)", "alreadyPushed": "\(p.alreadyPushed)", "pushFailed": "\(p.pushFailed)"])
                if p.retrieveFailed + p.pushFailed > 0 {
                    logger.warning("some instances could not be retrieved or pushed; see the log above")
                    throw ExitCode(1)
                }
            } else {
                record = try BatchRun.run(options) { counts in reporter.update(counts) }
                reporter.finish()
            }
            let c = record.counts
            logger.info("batch finished", metadata: ["inputs": "\(c.inputs)", "analysed": "\(c.analysed)", "skipped": "\(c.skipped)",
                                                     "failed": "\(c.failed)", "seconds": "\(String(format: "%.1f", record.durationSeconds))"])
            if c.failed > 0 {
                logger.warning("some inputs failed; see summary.csv", metadata: ["failed": "\(c.failed)"])
                throw ExitCode(1)
            }
        } catch let error as AnalysisError {
            logger.error("\(error.message)")
            throw ExitCode(2)
        }
    }
}

extension BatchCommand {
    /// The DICOMweb side of a batch: query, push target, credentials (environment or netrc,
    /// never the command line) and TLS trust.
    func pacsOptions(batch: BatchOptions) throws(AnalysisError) -> PACSBatchOptions {
        var pairs: [(String, String)] = []
        for item in query {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw AnalysisError(.io, "--query \"\(item)\" is not KEY=VALUE (e.g. ModalitiesInStudy=CR)") }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        if let netrc, !FileManager.default.isReadableFile(atPath: netrc) { throw AnalysisError(.io, "--netrc \(netrc): cannot read the file") }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) { throw AnalysisError(.io, "--ca-file \(caFile): cannot read the file") }
        let credentials: DICOMwebConfiguration.Credentials
        do {
            credentials = try DICOMwebConfiguration.credentials(environment: ProcessInfo.processInfo.environment, netrc: netrc)
        } catch {
            throw AnalysisError(.io, error.message)
        }
        return PACSBatchOptions(root: input, query: pairs, pushTo: pushTo ?? (push ? input : nil),
                                configuration: DICOMwebConfiguration(credentials: credentials, caFile: caFile), batch: batch)
    }
}

/// A live progress bar on a terminal; a log line every 10 seconds otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let logger: Logger
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var lastLine = Date.distantPast

    init(logger: Logger, quiet: Bool) {
        self.logger = logger
        self.quiet = quiet
    }

    func update(_ counts: BatchCounts) {
        guard !quiet else { return }
        let done = counts.analysed + counts.skipped + counts.failed
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(counts.analysed + counts.failed) / max(elapsed, 1e-3)
        let remaining = rate > 0 ? Double(counts.inputs - done) / rate : 0
        if terminal {
            guard Date().timeIntervalSince(lastLine) > 0.1 || done == counts.inputs else { return }
            let width = 30
            let filled = counts.inputs > 0 ? width * done / counts.inputs : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r[%@] %d/%d  %.1f img/s  ETA %@  failed %d ", bar, done, counts.inputs,
                                                       rate, Self.duration(remaining), counts.failed).utf8))
        } else if Date().timeIntervalSince(lastLine) >= 10 {
            logger.info("progress", metadata: ["done": "\(done)", "total": "\(counts.inputs)", "imagesPerSecond": "\(String(format: "%.1f", rate))",
                                               "eta": "\(Self.duration(remaining))", "failed": "\(counts.failed)"])
        } else {
            return
        }
        lastLine = Date()
    }

    func finish() {
        if terminal && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

extension LogFormat: ExpressibleByArgument {}
