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
    /// the model's sha256 is checked on the other core.
    func analyzer(options: SessionOptions, templatePath: String? = nil, prefetch: String? = nil) throws -> (Analyzer, DecodedInput?) {
        let (analyzer, decoded) = try ModelBundle.load(at: resolvedPath()) { bundle in
            let analyzer = try Analyzer(bundle: bundle, options: options, templatePath: templatePath, weightCache: PackedWeightCache.standard())
            return (analyzer, prefetch.map { DecodedInput.load($0, for: bundle.manifest) })
        }
        analyzer.classifier.savePackedWeights()  // The model's sha256 matched.
        return (analyzer, decoded)
    }
}
