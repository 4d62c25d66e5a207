import Foundation
import RadLensTestSupport

/// Runs the built `radlens` binary, with packed weights cached in this test process's scratch
/// folder (not the user's ~/.cache) unless `environment` sets RADLENS_CACHE_DIR.
func radlens(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessOutput {
    let cache = ["RADLENS_CACHE_DIR": TestPaths.scratch.appendingPathComponent("weight-cache").path]
    return try ProcessRunner.run(TestPaths.radlens.path, arguments, environment: cache.merging(environment ?? [:]) { $1 })
}

/// The shipped model bundle.
let shippedModel = TestPaths.repository.appendingPathComponent("Models/cxr-pneumonia").path

/// A results.jsonl with run-dependent fields (times, durations) removed, for comparing runs.
func normalizedResults(_ directory: URL) throws -> [String] {
    let text = try String(contentsOf: directory.appendingPathComponent("results.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        var object = try JSON(Data(line.utf8)).object()
        object["timingsMs"] = nil
        var provenance = object["provenance"] as? [String: Any]
        provenance?["generatedAt"] = nil
        object["provenance"] = provenance
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// A folder of small images in nested sub-folders, plus two broken files and a text file.
func makeBatchInput(copies: Int = 3) throws -> URL {
    let root = try TestPaths.temporaryDirectory("batch-input")
    let sources = ["valid/rgb8.png", "valid/gray16-sbit12.png", "valid/gray-baseline.jpeg", "valid/rgb-420-baseline.jpeg",
                   "valid/palette8-interlaced.png", "valid/rgb-422-progressive.jpeg"]
    for copy in 0..<copies {
        let folder = root.appendingPathComponent("site\(copy % 2)/series\(copy)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for source in sources {
            let name = (source as NSString).lastPathComponent
            try FileManager.default.copyItem(at: TestPaths.fixture(source), to: folder.appendingPathComponent("\(copy)-\(name)"))
        }
    }
    for site in ["site0", "site1"] {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(site), withIntermediateDirectories: true)
    }
    try FileManager.default.copyItem(at: TestPaths.fixture("malformed/png-truncated-at-60.png"), to: root.appendingPathComponent("site0/broken.png"))
    try FileManager.default.copyItem(at: TestPaths.fixture("malformed/text-renamed.jpeg"), to: root.appendingPathComponent("site1/not-an-image.jpeg"))
    try Data("notes\n".utf8).write(to: root.appendingPathComponent("README.txt"))
    return root
}
