import Foundation
import RadLensReport

/// `radlens merge`: joins the outputs of N shard runs into one results.jsonl, summary.csv,
/// worklist (index.html, linking into the shard folders) and run.json, after checking that the shards are 0..<N of one N, used one model, and together
/// hold every input exactly once.
public enum BatchMerge {
    public static func merge(_ directories: [String], into output: String) throws(AnalysisError) -> BatchCounts {
        var records: [BatchRecord] = []
        for directory in directories {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(BatchRun.recordFile).path
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? JSONDecoder().decode(BatchRecord.self, from: data) else {
                throw AnalysisError(.io, "\(path): missing or unreadable: did that shard finish?")
            }
            records.append(record)
        }
        let counts = Set(records.map { $0.options.shard?.count ?? 1 })
        guard counts.count == 1, let n = counts.first else { throw AnalysisError(.io, "the shards disagree on N: \(counts.sorted())") }
        let indices = records.map { $0.options.shard?.index ?? 0 }
        let missing = Set(0..<n).subtracting(indices), doubled = Dictionary(grouping: indices, by: { $0 }).filter { $1.count > 1 }.keys
        guard missing.isEmpty, doubled.isEmpty, records.count == n else {
            throw AnalysisError(.io, "shards missing \(missing.sorted()) or given twice \(doubled.sorted()) (expected 0..<\(n))")
        }
        guard Set(records.map(\.model.sha256)).count == 1 else { throw AnalysisError(.io, "the shards used different models") }
        var seen: [String: Int] = [:]
        var lines: [(path: String, line: Substring, shard: Int)] = []
        for (shard, directory) in directories.enumerated() {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(BatchRun.resultsFile).path
            guard let text = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw AnalysisError(.io, "\(path): missing")
            }
            let shardLines = text.split(separator: "\n")
            guard shardLines.count == records[shard].counts.inputs else {
                throw AnalysisError(.io, "\(path): \(shardLines.count) results for \(records[shard].counts.inputs) inputs")
            }
            for line in shardLines {
                guard let report = try? JSONDecoder().decode(AnalysisReport.self, from: Data(line.utf8)) else {
                    throw AnalysisError(.io, "\(path): a line is not a RadLens result")
                }
                if let other = seen[report.input.path] {
                    throw AnalysisError(.io, "\(report.input.path) is in shard \(directories[other]) and in \(directory)")
                }
                seen[report.input.path] = shard
                lines.append((report.input.path, line, shard))
            }
        }
        lines.sort { $0.path < $1.path }
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw AnalysisError(.io, "\(output): cannot create")
        }
        let outputURL = URL(fileURLWithPath: output)
        let shardURLs = directories.map { URL(fileURLWithPath: $0) }
        let prefixes = shardURLs.map { relativePath(from: outputURL, to: $0) + "/" }
        var merged = BatchCounts()
        var summary = "path,status,label,probability,decision,error\n"
        var worklist = Worklist.header(title: "RadLens worklist: \(records[0].options.input)", model: records[0].model)
        for entry in lines {
            let report = try? JSONDecoder().decode(AnalysisReport.self, from: Data(entry.line.utf8))
            merged.inputs += 1
            if report?.status == .error { merged.failed += 1 } else { merged.analysed += 1 }
            if let report {
                summary += SummaryCSV.row(report) + "\n"
                worklist += BatchRun.worklistRow(report, resultsIn: shardURLs[entry.shard], linkPrefix: prefixes[entry.shard],
                                                 formats: records[entry.shard].options.formats)
            }
        }
        try AtomicFile.write(Data((worklist + Worklist.footer).utf8), to: outputURL.appendingPathComponent(BatchRun.worklistFile).path)
        try AtomicFile.write(Data(lines.map { $0.line + "\n" }.joined().utf8), to: outputURL.appendingPathComponent(BatchRun.resultsFile).path)
        try AtomicFile.write(Data(summary.utf8), to: outputURL.appendingPathComponent(BatchRun.summaryFile).path)
        var record = records[0]
        record.options.shard = nil
        record.options.output = output
        record.counts = merged
        record.durationSeconds = records.map(\.durationSeconds).max() ?? 0
        try AtomicFile.write(try BatchRun.encodePretty(record), to: outputURL.appendingPathComponent(BatchRun.recordFile).path)
        return merged
    }
}

/// The relative path from folder `base` to `target` (both made absolute), e.g. "../shard-0".
func relativePath(from base: URL, to target: URL) -> String {
    let from = base.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    let to = target.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    var common = 0
    while common < min(from.count, to.count) && from[common] == to[common] { common += 1 }
    let parts = Array(repeating: "..", count: from.count - common) + to[common...]
    return parts.isEmpty ? "." : parts.joined(separator: "/")
}
