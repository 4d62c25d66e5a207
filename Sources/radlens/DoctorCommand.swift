import ArgumentParser
import Foundation
import RadLensDICOMweb
import RadLensImaging
import RadLensInference

/// `radlens doctor`: what this machine gives RadLens.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the CPU kernel level in use, the levels this CPU supports, threads, whether DICOMweb and JPEG-LS decoding can run, where the model bundle is found, and where packed weights are cached.")

    func run() {
        print(RadLensVersion.description)
        print("kernel level: \(KernelLevel.best.rawValue) (chosen at run time from the CPU's features)")
        for level in KernelLevel.allCases {
            print("  \(level.rawValue): \(level.isSupported ? "supported" : "not supported by this CPU")")
        }
        print("processors: \(ProcessInfo.processInfo.activeProcessorCount)")
        print("executable: \(DefaultBundleSearch.executable.path)")
        print("DICOMweb (libcurl, loaded on first use): \(dicomwebUnavailableReason.map { "unavailable: \($0)" } ?? "available")")
        print("JPEG-LS DICOM (CharLS, loaded on first use): \(jpegLSUnavailableReason.map { "unavailable: \($0)" } ?? "available")")
        let search = DefaultBundleSearch()
        print("default model bundle: \(search.found ?? "none found (pass --model DIR or set RADLENS_MODEL)")")
        for place in search.places {
            print("  \(place.found ? "found" : "absent"): \(place.path) (\(place.origin))")
        }
        print("packed-weight cache (RADLENS_CACHE_DIR; off disables it): \(cacheDescription)")
    }

    /// Where the cache is and whether this user can write there (a start without it packs the
    /// model's weights afresh, about 20 ms more, and is otherwise the same).
    private var cacheDescription: String {
        guard let cache = PackedWeightCache.standard() else { return "off" }
        var folder = cache.directory
        while !FileManager.default.fileExists(atPath: folder) && folder != "/" { folder = (folder as NSString).deletingLastPathComponent }
        let writable = FileManager.default.isWritableFile(atPath: folder)
        return "\(cache.directory) (\(writable ? "writable" : "not writable: every start packs the weights afresh"))"
    }
}
