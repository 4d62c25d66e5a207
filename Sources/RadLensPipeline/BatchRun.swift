import Foundation
import RadLensImaging
import RadLensInference
import RadLensModel
import RadLensReport

/// `radlens batch`: analyse every image under a folder into an output folder that mirrors it.
///
/// Each input's result is written atomically as `<output>/<relative path>.json` (plus the other
/// requested formats) the moment it is done, so a run killed at any point loses nothing: the
/// next run skips inputs whose result records the same input and model sha256 and redoes the
/// rest. `results.jsonl`, `summary.csv`, the worklist `index.html` (with each input's
/// `<relative path>.thumb.png`) and `run.json` are rebuilt from the per-input results at the
/// end of every run. Workers pull inputs one at a time and hand their files to a `ResultWriter`:
/// memory does not grow with the number of inputs beyond their paths.
public struct BatchOptions: Sendable, Codable {
    public var input: String
    public var output: String
    public var modelPath: String
    public var formats: [ReportFormat]
    public var include: [String]
    public var jobs: Int
    public var threadsPerJob: Int
    public var shard: Shard?
    public var force: Bool
    public var language: ReportLanguage
    public var precision: Precision
    /// Where packed weights are kept between processes (nil: packed afresh each run). Not
    /// recorded in run.json: it changes how fast a run starts, never what it finds.
    public var weightCache: PackedWeightCache?

    private enum CodingKeys: String, CodingKey {
        case input, output, modelPath, formats, include, jobs, threadsPerJob, shard, force, language, precision
    }

    public init(input: String, output: String, modelPath: String, formats: [ReportFormat] = [.json], include: [String] = [],
                jobs: Int = 2, threadsPerJob: Int = 1, shard: Shard? = nil, force: Bool = false, language: ReportLanguage = .en,
                precision: Precision = .fp32, weightCache: PackedWeightCache? = nil) {
        self.precision = precision
        self.weightCache = weightCache
        self.input = input
        self.output = output
        self.modelPath = modelPath
        self.formats = formats
        self.include = include
        self.jobs = max(1, jobs)
        self.threadsPerJob = max(1, threadsPerJob)
        self.shard = shard
        self.force = force
        self.language = language
    }
}

/// Counts of a batch run, as `run.json` records them.
public struct BatchCounts: Sendable, Codable, Equatable {
    public var inputs = 0
    public var analysed = 0
    public var skipped = 0
    public var failed = 0
    public init() {}
}

/// What `run.json` holds.
public struct BatchRecord: Sendable, Codable {
    public var radlensVersion: String
    public var model: AnalysisReport.ModelInfo
    public var options: BatchOptions
    public var counts: BatchCounts
    public var startedAt: String
    public var durationSeconds: Double
}

public enum BatchRun {
    /// Names of the run-level files in the output folder.
    public static let resultsFile = "results.jsonl", summaryFile = "summary.csv", recordFile = "run.json", worklistFile = "index.html"
    /// Longest side of the worklist's thumbnails, in pixels.
    public static let thumbnailSide = 128

    /// Runs the batch. `progress` is called (from the run's threads, serialised) after each input.
    public static func run(_ options: BatchOptions, progress: (@Sendable (BatchCounts) -> Void)? = nil) throws(AnalysisError) -> BatchRecord {
        let started = Date()
        // One model, packed once while its sha256 is checked on another core; each further
        // worker's analyzer shares its weights.
        let first: Analyzer
        do {
            first = try ModelBundle.load(at: options.modelPath) { bundle in
                try Analyzer(bundle: bundle, options: SessionOptions(threads: options.threadsPerJob, precision: options.precision),
                             weightCache: options.weightCache)
            }
        } catch let error as AnalysisError {
            throw error
        } catch {
            throw AnalysisError(.model, "\(error)")
        }
        first.classifier.savePackedWeights()  // The model's sha256 matched.
        let paths = try InputWalker.relativePaths(under: options.input, include: options.include, excluding: options.output, shard: options.shard)
        do {
            try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        } catch {
            throw AnalysisError(.io, "\(options.output): cannot create (\(error.localizedDescription))")
        }
        removeStaleTemporaryFiles(in: options.output)
        let modelSHA = first.manifest.model.sha256
        let state = BatchState(total: paths.count)
        let analyzers = try [first] + (1..<options.jobs).map { _ throws(AnalysisError) in try first.replica(threads: options.threadsPerJob) }
        let errors = ErrorBox()
        let writer = ResultWriter(capacity: 2 * analyzers.count, written: { state.record($0, progress) },
                                  failure: { errors.set($0); state.stop() })
        let group = DispatchGroup()
        for owned in analyzers.map(HandedOver.init) {
            let worker = Thread {
                let analyzer = owned.value
                while let index = state.next() {
                    let relative = paths[index]
                    let inputPath = URL(fileURLWithPath: options.input).appendingPathComponent(relative).path
                    let resultBase = URL(fileURLWithPath: options.output).appendingPathComponent(relative).path
                    if !options.force, isDone(resultBase + ".json", inputPath: inputPath, modelSHA: modelSHA) {
                        state.record(.skipped, progress)
                        continue
                    }
                    let outcome = analyzer.analyze(path: inputPath, displayPath: relative, language: options.language,
                                                   heatmap: options.formats.contains(.html), thumbnailSide: thumbnailSide,
                                                   dicomResults: Set(options.formats.filter(\.isDICOM)))
                    do {
                        // Other formats and the thumbnail first, the JSON (the resume record) last.
                        var files: [(path: String, data: Data)] = []
                        if let thumbnail = outcome.thumbnailPNG { files.append((resultBase + ".thumb.png", Data(thumbnail))) }
                        for format in options.formats where format != .json {
                            files.append((resultBase + "." + format.fileExtension, try analyzer.render(outcome, format: format, language: options.language)))
                        }
                        files.append((resultBase + ".json", try analyzer.render(outcome, format: .json, language: options.language)))
                        // A redone input that no longer decodes must not keep its old picture.
                        writer.submit(ResultWriter.Job(directory: URL(fileURLWithPath: resultBase).deletingLastPathComponent().path, files: files,
                                                       removals: outcome.thumbnailPNG == nil ? [resultBase + ".thumb.png"] : [],
                                                       outcome: outcome.report.status == .ok ? .analysed : .failed))
                    } catch {
                        errors.set(error)
                        state.stop()
                    }
                }
                group.leave()
            }
            worker.stackSize = 8 << 20
            group.enter()
            worker.start()
        }
        group.wait()
        writer.finish()
        if let error = errors.value { throw AnalysisError(.io, "\(error)") }
        let modelInfo = AnalysisReport.ModelInfo(name: first.manifest.name, version: first.manifest.version, sha256: modelSHA)
        let counts = try writeRunFiles(paths: paths, options: options, model: modelInfo)
        let record = BatchRecord(radlensVersion: RadLensInfo.version, model: modelInfo, options: options, counts: finalCounts(state.counts, failed: counts.failed),
                                 startedAt: Timestamp.iso8601(started), durationSeconds: Date().timeIntervalSince(started))
        try AtomicFile.write(try encodePretty(record), to: URL(fileURLWithPath: options.output).appendingPathComponent(recordFile).path)
        return record
    }

    /// Counts of this run, with failures as the rebuilt results record them (earlier runs' included).
    static func finalCounts(_ counts: BatchCounts, failed: Int) -> BatchCounts {
        var result = counts
        result.failed = failed
        return result
    }

    /// True when the result file records this input's bytes and this model.
    static func isDone(_ resultPath: String, inputPath: String, modelSHA: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: resultPath),
              let report = try? JSONDecoder().decode(AnalysisReport.self, from: data),
              report.model?.sha256 == modelSHA, let recorded = report.input.sha256,
              let bytes = try? FileReader.read(inputPath) else { return false }
        return ModelBundle.sha256(bytes) == recorded
    }

    /// Rebuilds results.jsonl, summary.csv and the worklist from the per-input results, in input order.
    static func writeRunFiles(paths: [String], options: BatchOptions, model: AnalysisReport.ModelInfo) throws(AnalysisError) -> BatchCounts {
        let output = URL(fileURLWithPath: options.output)
        let resultsPath = output.appendingPathComponent(resultsFile).path, summaryPath = output.appendingPathComponent(summaryFile).path
        let worklistPath = output.appendingPathComponent(worklistFile).path
        var lines = RunFileWriter()
        var summary = RunFileWriter()
        var worklist = RunFileWriter()
        try lines.open(for: resultsPath)
        try summary.open(for: summaryPath)
        try worklist.open(for: worklistPath)
        summary.append("path,status,label,probability,decision,error\n")
        worklist.append(Worklist.header(title: "RadLens worklist: \(options.input)", model: model))
        var counts = BatchCounts()
        // Results are read and formatted on every thread the run may use, a window at a time
        // (memory stays flat), and appended in input order.
        let threads = max(1, options.jobs * options.threadsPerJob), window = 64 * threads
        for windowStart in stride(from: 0, to: paths.count, by: window) {
            let slice = Array(paths[windowStart..<min(windowStart + window, paths.count)])
            for (relative, entry) in zip(slice, runFileEntries(slice, in: output, formats: options.formats, threads: threads)) {
                guard let entry else { throw AnalysisError(.io, "\(relative): its result is missing after the run") }
                counts.inputs += 1
                if entry.failed { counts.failed += 1 }
                lines.append(entry.line)
                summary.append(entry.summaryRow)
                worklist.append(entry.worklistRow)
            }
        }
        worklist.append(Worklist.footer)
        try lines.commit(to: resultsPath)
        try summary.commit(to: summaryPath)
        try worklist.commit(to: worklistPath)
        return counts
    }

    /// One result's lines in results.jsonl, summary.csv and the worklist, and whether it failed.
    struct RunFileEntry: Sendable {
        var line: String, summaryRow: String, worklistRow: String, failed: Bool
    }

    /// The run-file entries of `paths`' results (nil where a result is missing), in order, made
    /// on `threads` threads.
    static func runFileEntries(_ paths: [String], in output: URL, formats: [ReportFormat], threads: Int) -> [RunFileEntry?] {
        // Each thread writes only its own indices.
        nonisolated(unsafe) let entries = UnsafeMutableBufferPointer<RunFileEntry?>.allocate(capacity: paths.count)
        entries.initialize(repeating: nil)
        defer { entries.deinitialize().deallocate() }
        let shares = min(threads, paths.count)
        DispatchQueue.concurrentPerform(iterations: shares) { share in
            let compact = JSONEncoder()
            compact.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for index in stride(from: share, to: paths.count, by: shares) {
                guard let data = FileManager.default.contents(atPath: output.appendingPathComponent(paths[index]).path + ".json"),
                      let report = try? JSONDecoder().decode(AnalysisReport.self, from: data),
                      let line = try? compact.encode(report) else { continue }
                entries[index] = RunFileEntry(line: String(decoding: line, as: UTF8.self) + "\n", summaryRow: SummaryCSV.row(report) + "\n",
                                              worklistRow: worklistRow(report, resultsIn: output, linkPrefix: "", formats: formats),
                                              failed: report.status == .error)
            }
        }
        return Array(entries)
    }

    /// The worklist row of a result in the batch output `directory`, linking to its report (HTML,
    /// else text, else JSON) and thumbnail through `linkPrefix` (the way from the worklist's folder
    /// to `directory`, with its trailing slash).
    static func worklistRow(_ report: AnalysisReport, resultsIn directory: URL, linkPrefix: String, formats: [ReportFormat]) -> String {
        let base = report.input.path
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path) }
        // The requested format's file, if this run or an earlier one wrote it.
        let reportFormat = [ReportFormat.html, .text].first { formats.contains($0) && exists(base + "." + $0.fileExtension) } ?? .json
        let thumbnail = base + ".thumb.png"
        let hasThumbnail = exists(thumbnail)
        return Worklist.row(report, links: Worklist.Links(report: linkPrefix + base + "." + reportFormat.fileExtension,
                                                          json: linkPrefix + base + ".json",
                                                          thumbnail: hasThumbnail ? linkPrefix + thumbnail : nil))
    }

    static func removeStaleTemporaryFiles(in directory: String) {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return }
        for case let relative as String in walker where relative.hasSuffix(".tmp") && (relative as NSString).lastPathComponent.hasPrefix(".") {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: directory).appendingPathComponent(relative).path)
        }
    }

    static func encodePretty<T: Encodable>(_ value: T) throws(AnalysisError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value) + Data("\n".utf8)
        } catch {
            throw AnalysisError(.io, "cannot encode: \(error)")
        }
    }
}

/// A run-level file streamed into a temporary file beside its target and renamed into place
/// when complete: memory stays flat however many results it holds.
struct RunFileWriter {
    private var buffer = Data()
    private var handle: FileHandle?
    private var temporaryPath: String?

    mutating func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 20 { flush() }
    }

    private mutating func flush() {
        handle?.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Opens the temporary file next to `path` (before the first append).
    mutating func open(for path: String) throws(AnalysisError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw AnalysisError(.io, "\(path): cannot write")
        }
        self.handle = handle
        temporaryPath = temporary
    }

    mutating func commit(to path: String) throws(AnalysisError) {
        flush()
        try? handle?.close()
        guard let temporaryPath, rename(temporaryPath, path) == 0 else {
            throw AnalysisError(.io, "\(path): cannot write (\(String(cString: strerror(errno))))")
        }
    }
}

/// `summary.csv` rows: path, status, label, probability, decision, error.
enum SummaryCSV {
    static func row(_ report: AnalysisReport) -> String {
        let finding = report.findings.first
        return [report.input.path, report.status.rawValue, finding?.label ?? "", finding.map { String(format: "%.6f", $0.probability) } ?? "",
                finding?.decision.rawValue ?? "", report.error?.message ?? ""].map(escape).joined(separator: ",")
    }

    static func escape(_ field: String) -> String {
        field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }
}

/// Work distribution and counts shared by the worker threads.
final class BatchState: @unchecked Sendable {
    enum Outcome { case analysed, skipped, failed }
    private let lock = NSLock()
    private var nextIndex = 0
    private var stopped = false
    let total: Int
    private(set) var counts = BatchCounts()

    init(total: Int) {
        self.total = total
        counts.inputs = total
    }

    func next() -> Int? {
        lock.withLock {
            guard !stopped, nextIndex < total else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func stop() { lock.withLock { stopped = true } }

    func record(_ outcome: Outcome, _ progress: (@Sendable (BatchCounts) -> Void)?) {
        lock.withLock {
            switch outcome {
            case .analysed: counts.analysed += 1
            case .skipped: counts.skipped += 1
            case .failed: counts.failed += 1
            }
            progress?(counts)
        }
    }
}

/// A non-Sendable value handed to exactly one other thread, which alone uses it from then on.
final class HandedOver<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ error: Error) { lock.withLock { if self.error == nil { self.error = error } } }
    var value: Error? { lock.withLock { error } }
}
