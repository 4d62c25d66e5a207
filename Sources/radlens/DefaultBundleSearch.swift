import Foundation

/// Where the CLI looks for the model bundle when `--model` is not given, in order:
/// `$RADLENS_MODEL`; beside the real executable as installed (`bin/../share/radlens/models/`);
/// the build tree the executable was built in (`.build/<triple>/release/` -> `Models/`).
/// `radlens doctor` prints every place and what it found. A set `$RADLENS_MODEL` that holds
/// no bundle is an error, never silently replaced by the shipped bundle.
struct DefaultBundleSearch {
    /// The bundle RadLens ships.
    static let bundleName = "cxr-pneumonia"

    struct Place {
        /// Why this place is searched.
        var origin: String
        var path: String
        /// True when the folder holds a manifest.json.
        var found: Bool
    }

    let places: [Place]

    init(environment: [String: String] = ProcessInfo.processInfo.environment, executable: URL = Self.executable) {
        var candidates: [(String, String)] = []
        if let path = environment["RADLENS_MODEL"], !path.isEmpty { candidates.append(("RADLENS_MODEL", path)) }
        let bin = executable.deletingLastPathComponent()
        candidates.append(("installed beside the executable",
                           bin.appendingPathComponent("../share/radlens/models/\(Self.bundleName)").standardized.path))
        // .build/release/radlens resolves to .build/<triple>/release/radlens: the repository is 3 levels up.
        var folder = bin
        for _ in 0..<3 {
            folder = folder.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                candidates.append(("the build tree", folder.appendingPathComponent("Models/\(Self.bundleName)").path))
                break
            }
        }
        places = candidates.map { origin, path in
            Place(origin: origin, path: path,
                  found: FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent("manifest.json").path))
        }
    }

    /// The first place that holds a bundle; an explicit $RADLENS_MODEL is the only place then.
    var found: String? {
        if let chosen = places.first, chosen.origin == "RADLENS_MODEL" { return chosen.found ? chosen.path : nil }
        return places.first(where: \.found)?.path
    }

    /// A message for when no place holds one.
    var notFoundMessage: String {
        if let chosen = places.first, chosen.origin == "RADLENS_MODEL" {
            return "RADLENS_MODEL=\(chosen.path) holds no model bundle (no manifest.json there)"
        }
        return "no model bundle found: pass --model DIR (a folder with manifest.json and model.onnx) or set RADLENS_MODEL; looked in "
            + places.map { "\($0.path) (\($0.origin))" }.joined(separator: ", ")
    }

    /// This process's executable with every symlink resolved (`/proc/self/exe` on Linux).
    static var executable: URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: proc.path) {
            return URL(fileURLWithPath: target)
        }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? "radlens").resolvingSymlinksInPath()
    }
}
