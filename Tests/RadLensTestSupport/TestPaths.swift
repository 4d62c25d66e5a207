import Foundation
import Testing

/// Where tests find the repository's fixtures, the shared data set and the built tools.
public enum TestPaths {
    /// The repository root, found from this file's location.
    public static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures/<name>`.
    public static func fixture(_ name: String) -> URL {
        repository.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
    }

    /// Files in a fixture folder, sorted, filtered by extension when given.
    public static func files(in folder: URL, extensions: Set<String>? = nil) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
            .filter { extensions == nil || extensions!.contains($0.pathExtension.lowercased()) }
    }

    /// Files under a folder, recursively, sorted.
    public static func filesRecursively(in folder: URL, extensions: Set<String>) -> [URL] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        return walker.compactMap { $0 as? String }.sorted()
            .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .map { folder.appendingPathComponent($0) }
    }

    /// The Kermany chest X-ray data beside the repository (`../shared/data/kermany-cxr`), or nil
    /// with a message saying it is absent. Never copied into the repository.
    public static var kermany: URL? {
        let url = repository.deletingLastPathComponent().appendingPathComponent("shared/data/kermany-cxr")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        print("note: ../shared/data/kermany-cxr is absent; tests on real radiographs are skipped")
        return nil
    }

    /// The folder holding the built products (the `radlens` executable sits beside the test bundle).
    public static var products: URL {
        Bundle.main.bundleURL.deletingLastPathComponent()
    }

    /// The built `radlens` executable.
    public static var radlens: URL {
        let beside = products.appendingPathComponent("radlens")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repository.appendingPathComponent(".build/debug/radlens")
    }
}

extension TestPaths {
    /// The test venv's Python (numpy, Pillow, ONNX Runtime, pydicom), or nil with a message.
    /// `make test` creates it and passes its path in RADLENS_TEST_PYTHON.
    public static var python: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["RADLENS_TEST_PYTHON"],
                          repository.appendingPathComponent(".venv-test/bin/python").path]
        if let found = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        print("note: the test venv (.venv-test) is absent; run `make test` to create it. Python reference checks are skipped")
        return nil
    }

    /// A fresh temporary directory, inside `scratch`.
    public static func temporaryDirectory(_ name: String) throws -> URL {
        let url = scratch.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// This test process's folder for temporary files, removed when the process exits (unless
    /// `RADLENS_KEEP_TEST_FILES` is set): test runs used to leave gigabytes in /tmp.
    public static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if !keepsFiles {
            scratchToRemove = url.path
            atexit { scratchToRemove.map { _ = try? FileManager.default.removeItem(atPath: $0) } }
        }
        return url
    }()

    /// Whether test runs keep their temporary files (`RADLENS_KEEP_TEST_FILES`, for debugging).
    public static var keepsFiles: Bool { ProcessInfo.processInfo.environment["RADLENS_KEEP_TEST_FILES"] != nil }
}

/// The scratch folder `atexit` removes (a C callback cannot capture it).
nonisolated(unsafe) private var scratchToRemove: String?

extension Trait where Self == ConditionTrait {
    /// Runs the test only where `../shared/data/kermany-cxr` is present; reported as skipped otherwise.
    public static var needsKermany: Self {
        .enabled(if: TestPaths.kermany != nil, "../shared/data/kermany-cxr is absent (never copied into the repository)")
    }

    /// Runs the test only where the test venv exists; reported as skipped otherwise (`make test` creates it).
    public static var needsPython: Self {
        .enabled(if: TestPaths.python != nil, "the test venv (.venv-test) is absent: `make test` creates it")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where `tool` is on PATH; reported as skipped otherwise (`make test` installs them all).
    public static func needsTool(_ tool: String) -> Self {
        .enabled(if: ProcessRunner.available(tool), "\(tool) is not installed; `make test` installs it")
    }
}
