import Foundation

/// Writes files so a reader never sees a partial one: a temporary file beside the target
/// (named `.<name>.<pid>.tmp`), then renamed over it. A process killed mid-write leaves at
/// most a stale temporary file, which `BatchRun` removes on its next start.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws(AnalysisError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw AnalysisError(.io, "\(path): cannot write (\(error.localizedDescription))")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw AnalysisError(.io, "\(path): cannot write (\(reason))")
        }
    }
}
