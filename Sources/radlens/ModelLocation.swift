import ArgumentParser
import RadLensInference
import RadLensModel
import RadLensPipeline
import RadLensReport

/// `--model DIR`, defaulting to the shipped bundle (see `DefaultBundleSearch`).
struct ModelLocation: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp("Model bundle folder (default: $RADLENS_MODEL, else the installed or built-in cxr-pneumonia bundle; `radlens doctor` shows where it is looked for).", valueName: "dir"),
            completion: .directory)
    var path: String?

    /// The bundle folder: `--model`, else the default search's find.
    func resolvedPath() throws -> String {
        if let path { return path }
        let search = DefaultBundleSearch()
        guard let found = search.found else { throw RuntimeError(search.notFoundMessage) }
        return found
    }

    /// An analyzer for the bundle and, with `prefetch`, that file read and decoded, both while
    /// the other core checks the model's sha256 and then the packed-weight cache file's checksum.
    func analyzer(options: SessionOptions, templatePath: String? = nil, prefetch: String? = nil) throws -> (Analyzer, DecodedInput?) {
        var cache = PackedWeightCache.standard()
        cache?.defersChecksum = true
        var (analyzer, decoded, intact) = try ModelBundle.load(at: resolvedPath()) { bundle, alongside in
            let analyzer = try Analyzer(bundle: bundle, options: options, templatePath: templatePath, weightCache: cache)
            let intact = analyzer.classifier.cachedWeightsCheck.map { alongside.run($0) }
            return (analyzer, prefetch.map { DecodedInput.load($0, for: bundle.manifest) }, intact)
        }
        if let intact, !intact.value {
            // A damaged cache file: load again checking it first, which makes it a miss, and rewrite it.
            cache?.defersChecksum = false
            analyzer = try Analyzer(bundle: analyzer.classifier.bundle, options: options, templatePath: templatePath, weightCache: cache)
        }
        analyzer.classifier.savePackedWeights()  // The model's sha256 matched.
        return (analyzer, decoded)
    }
}
