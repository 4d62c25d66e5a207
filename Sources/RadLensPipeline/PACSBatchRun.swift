import Foundation
import RadLensDICOMweb
import RadLensImaging
import RadLensReport

/// `radlens batch URL`: a batch whose inputs come from a PACS over DICOMweb.
///
/// 1. QIDO-RS finds the studies matching the query and their instances; only image objects
///    are kept (not SR, presentation states, documents, nor RadLens's own results), and with a
///    shard, those whose SOP Instance UID hashes to it.
/// 2. WADO-RS retrieves each into `OUTPUT/.dicomweb/instances/<study>/<series>/<instance>.dcm`,
///    streamed to disk; what is already there is not fetched again.
/// 3. The usual batch analyses that folder into OUTPUT (resumable; the worklist, results.jsonl).
/// 4. With a push target, STOW-RS stores each result's SR (and SC) into the source's study and
///    records it in `<result>.pushed.json`, so a rerun pushes nothing twice.
///
/// A server that cannot be reached (after retries) or refuses the credentials stops the run
/// with an error; everything made so far stays on disk, and a rerun completes the rest.
public struct PACSBatchOptions: Sendable {
    public var root: String
    /// QIDO-RS study query: (attribute keyword or tag, value).
    public var query: [(String, String)]
    /// Where to push results (STOW-RS); nil: no push.
    public var pushTo: String?
    public var configuration: DICOMwebConfiguration
    /// The folder batch's options; `input` is set to the retrieval folder.
    public var batch: BatchOptions

    public init(root: String, query: [(String, String)], pushTo: String?, configuration: DICOMwebConfiguration, batch: BatchOptions) {
        self.root = root
        self.query = query
        self.pushTo = pushTo
        self.configuration = configuration
        self.batch = batch
    }
}

/// What a DICOMweb batch did.
public struct PACSBatchCounts: Sendable, Codable, Equatable {
    public var studies = 0
    /// Image instances in this shard.
    public var instances = 0
    public var retrieved = 0
    /// Already retrieved by an earlier run.
    public var cached = 0
    /// Not images, or RadLens results.
    public var ignored = 0
    public var retrieveFailed = 0
    public var pushed = 0
    public var alreadyPushed = 0
    public var pushFailed = 0
    public init() {}
}

public enum PACSBatchRun {
    /// The folder (inside OUTPUT) that holds the retrieved instances and nothing else.
    public static let retrievalFolder = ".dicomweb/instances"

    /// Runs the batch. `log` receives one line per notable event (never patient identifiers).
    public static func run(_ options: PACSBatchOptions, log: @Sendable (String) -> Void = { _ in },
                           progress: (@Sendable (BatchCounts) -> Void)? = nil) throws(AnalysisError) -> (PACSBatchCounts, BatchRecord) {
        var counts = PACSBatchCounts()
        let output = URL(fileURLWithPath: options.batch.output)
        let retrieved = output.appendingPathComponent(retrievalFolder)
        do {
            try FileManager.default.createDirectory(at: retrieved, withIntermediateDirectories: true)
        } catch {
            throw AnalysisError(.io, "\(retrieved.path): cannot create (\(error.localizedDescription))")
        }
        let source = try client(options.root, options.configuration)
        let pushed = pushedInstances(in: output)

        // 1 and 2: find and retrieve.
        var stopped: DICOMwebError?
        var failures: [String] = []
        do throws(DICOMwebError) {
            let studies = try source.searchStudies(options.query)
            counts.studies = studies.count
            log("found \(studies.count) stud\(studies.count == 1 ? "y" : "ies") at \(source.root)")
            retrieval: for study in studies {
                guard let studyUID = study.studyInstanceUID else { continue }
                for instance in try source.searchInstances(study: studyUID) {
                    guard let seriesUID = instance.seriesInstanceUID, let sopUID = instance.sopInstanceUID else { continue }
                    if let shard = options.batch.shard, !shard.contains(sopUID) { continue }
                    guard isImage(instance), !pushed.contains(sopUID) else {
                        counts.ignored += 1
                        continue
                    }
                    let folder = retrieved.appendingPathComponent("\(studyUID)/\(seriesUID)")
                    let path = folder.appendingPathComponent("\(sopUID).dcm").path
                    if FileManager.default.fileExists(atPath: path) {
                        counts.instances += 1
                        counts.cached += 1
                        continue
                    }
                    do {
                        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    } catch {
                        throw DICOMwebError(.io, "\(folder.path): cannot create (\(error.localizedDescription))")
                    }
                    do throws(DICOMwebError) {
                        try source.retrieveInstance(study: studyUID, series: seriesUID, instance: sopUID, to: path)
                    } catch {
                        if error.kind == .connection || error.kind == .authentication || error.kind == .io {
                            stopped = error
                            break retrieval
                        }
                        counts.retrieveFailed += 1
                        failures.append(error.message)
                        log("cannot retrieve: \(error.message)")
                        continue
                    }
                    if isRadLensResult(path) {
                        try? FileManager.default.removeItem(atPath: path)
                        counts.ignored += 1
                        continue
                    }
                    counts.instances += 1
                    counts.retrieved += 1
                }
            }
        } catch {
            stopped = error
        }

        if let stopped, stopped.kind == .authentication || stopped.kind == .configuration { throw AnalysisError(.io, stopped.message) }

        // 3: analyse what is here.
        var batch = options.batch
        batch.input = retrieved.path
        batch.shard = nil
        let record = try BatchRun.run(batch, progress: progress)
        if let stopped {
            throw AnalysisError(.io, "\(stopped.message); \(record.counts.analysed + record.counts.skipped) result(s) are on disk in \(output.path): run the same command again to finish")
        }

        // 4: push.
        if let target = options.pushTo {
            let destination = target == options.root ? source : try client(target, options.configuration)
            do throws(DICOMwebError) {
                try push(results: output, retrieved: retrieved, to: destination, formats: batch.formats, counts: &counts, log: log)
            } catch {
                guard error.kind == .connection else { throw AnalysisError(.io, error.message) }
                throw AnalysisError(.io, "\(error.message); \(counts.pushed) result(s) pushed in this run, the rest stay in \(output.path): run the same command again to push them")
            }
        }
        if !failures.isEmpty { log("\(failures.count) instance(s) could not be retrieved") }
        return (counts, record)
    }

    private static func client(_ root: String, _ configuration: DICOMwebConfiguration) throws(AnalysisError) -> DICOMwebClient {
        do {
            return try DICOMwebClient(root: root, configuration: configuration)
        } catch {
            throw AnalysisError(.io, error.message)
        }
    }

    /// SOP classes that hold no image for the model: SR, presentation states, encapsulated
    /// documents, RT, waveforms, raw data, segmentations and other non-image objects.
    static let nonImageClassPrefixes = ["1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.104.",
                                        "1.2.840.10008.5.1.4.1.1.481.", "1.2.840.10008.5.1.4.1.1.9.", "1.2.840.10008.5.1.4.1.1.66",
                                        "1.2.840.10008.5.1.4.1.1.4.2", "1.2.840.10008.5.1.4.1.1.67", "1.2.840.10008.5.1.4.1.1.68."]

    static func isImage(_ instance: DICOMwebObject) -> Bool {
        guard let sopClass = instance.sopClassUID else { return true }
        return !nonImageClassPrefixes.contains { sopClass.hasPrefix($0) }
    }

    /// A Secondary Capture RadLens wrote (pushed by another run): not an input.
    static func isRadLensResult(_ path: String) -> Bool {
        guard let file = try? DICOMFile(contentsOf: path) else { return false }
        return file.dataset.string(DICOMTag(0x0008, 0x0070)) == "RadLens"
            && file.dataset.string(DICOMTag(0x0008, 0x103E))?.hasPrefix("RadLens AI") == true
    }

    /// A result's push record: which server holds which of its objects.
    struct PushRecord: Codable {
        var target: String
        var sopInstanceUIDs: [String]
    }

    /// SOP Instance UIDs of every result pushed from this output folder (not inputs on a rerun).
    static func pushedInstances(in output: URL) -> Set<String> {
        guard let walker = FileManager.default.enumerator(atPath: output.path) else { return [] }
        var uids: Set<String> = []
        for case let relative as String in walker where relative.hasSuffix(".pushed.json") {
            if let data = FileManager.default.contents(atPath: output.appendingPathComponent(relative).path),
               let record = try? JSONDecoder().decode(PushRecord.self, from: data) {
                uids.formUnion(record.sopInstanceUIDs)
            }
        }
        return uids
    }

    private static func push(results output: URL, retrieved: URL, to destination: DICOMwebClient, formats: [ReportFormat],
                             counts: inout PACSBatchCounts, log: (String) -> Void) throws(DICOMwebError) {
        let suffixes = [ReportFormat.sr, .sc].filter(formats.contains).map { "." + $0.fileExtension }
        let inputs = (try? InputWalker.relativePaths(under: retrieved.path, include: [])) ?? []
        for relative in inputs {
            let base = output.appendingPathComponent(relative).path
            let files = suffixes.map { base + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            guard !files.isEmpty else { continue }
            var objects: [[UInt8]] = []
            var uids: [String] = []
            var study: String?
            for file in files {
                guard let bytes = try? FileReader.read(file), let dicom = try? DICOMFile(bytes: bytes, path: file),
                      let uid = dicom.dataset.string(.sopInstanceUID) else { continue }
                objects.append(bytes)
                uids.append(uid)
                study = study ?? dicom.dataset.string(.studyInstanceUID)
            }
            guard let study, !objects.isEmpty else { continue }
            let recordPath = base + ".pushed.json"
            if let data = FileManager.default.contents(atPath: recordPath),
               let record = try? JSONDecoder().decode(PushRecord.self, from: data),
               record.target == destination.root, Set(record.sopInstanceUIDs) == Set(uids) {
                counts.alreadyPushed += 1
                continue
            }
            do {
                try destination.store(objects, study: study)
            } catch {
                if error.kind == .connection || error.kind == .authentication { throw error }
                counts.pushFailed += 1
                log("cannot push the results of \(relative): \(error.message)")
                continue
            }
            let record = PushRecord(target: destination.root, sopInstanceUIDs: uids)
            if let data = try? JSONEncoder().encode(record) { try? AtomicFile.write(data, to: recordPath) }
            counts.pushed += 1
        }
    }
}
