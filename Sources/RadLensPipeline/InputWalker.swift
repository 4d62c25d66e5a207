import Foundation
import Glibc

/// Finds the inputs of a batch: every regular file under a folder, recursively, whose name
/// matches one of the include patterns (shell globs), minus hidden files and the output folder.
/// Returns paths relative to the folder, sorted, so every run and every shard sees one order.
public enum InputWalker {
    public static func relativePaths(under directory: String, include: [String], excluding excluded: String? = nil,
                                     shard: Shard? = nil) throws(AnalysisError) -> [String] {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AnalysisError(.io, "\(directory): not a folder")
        }
        // The output folder is skipped when it lies inside the input, not when it holds the input
        // (DICOMweb batches analyse the instances they retrieved into the output folder).
        let excludedPath = excluded.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            .flatMap { root.path.hasPrefix($0 + "/") ? nil : $0 }
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw AnalysisError(.io, "\(directory): cannot list")
        }
        var paths: [String] = []
        for case let url as URL in walker {
            let path = url.standardizedFileURL.path
            if let excludedPath, path == excludedPath || path.hasPrefix(excludedPath + "/") {
                walker.skipDescendants()
                continue
            }
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = url.lastPathComponent
            guard include.isEmpty || include.contains(where: { fnmatch($0, name, 0) == 0 }) else { continue }
            let relative = String(path.dropFirst(root.path.count + 1))
            if let shard, !shard.contains(relative) { continue }
            paths.append(relative)
        }
        return paths.sorted()
    }
}
