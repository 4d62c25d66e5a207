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

    /// Starts loading the bundle an `analyze` command line will use (`--model`, else the
    /// default search) before ArgumentParser has parsed it, so that hashing the model overlaps
    /// the parsing (see `ModelBundle.prefetch`). A guess from the raw arguments: the load takes
    /// it over only if the parsed command resolves the same folder.
    static func prefetch(forArguments arguments: [String]) {
        guard arguments.first == "analyze" else { return }
        var named: String?
        var remaining = arguments.dropFirst()
        while let argument = remaining.popFirst(), argument != "--" {
            if argument == "--model" { named = remaining.popFirst() }
            if argument.hasPrefix("--model=") { named = String(argument.dropFirst("--model=".count)) }
        }
        ModelBundle.prefetch { [named] in named ?? DefaultBundleSearch().found }
    }

    /// An analyzer for the bundle and, with `prefetch`, that file read, decoded and classified,
    /// while the other core checks the model's sha256, then the packed-weight cache file's
    /// checksum, and parses the report templates and prepares their rendering: those of
    /// `language` and, with `html`, the page's (all when `language` is nil).
    func analyzer(options: SessionOptions, templatePath: String? = nil, prefetch: String? = nil,
                  language: ReportLanguage? = nil, html: Bool = true) throws -> (Analyzer, DecodedInput?) {
        var cache = PackedWeightCache.standard()
        cache?.defersChecksum = true
        var (classifier, decoded, intact, templates) = try ModelBundle.load(at: resolvedPath()) { bundle, alongside in
            let classifier = try Classifier(bundle: bundle, options: options, weightCache: cache)
            let intact = classifier.cachedWeightsCheck.map { alongside.run($0) }
            let templates = alongside.run {
                Result { () throws(BundleError) in
                    let templates = try ReportTemplates(bundleDirectory: bundle.directory, customText: templatePath,
                                                        languages: language.map { [$0] }, html: html)
                    templates.prepareRendering(manifest: bundle.manifest)
                    return templates
                }
            }
            // The first image is classified while the other core finishes its checks; nothing is
            // reported before `load` has seen them pass. The hash keeps a core busy meanwhile, so
            // the engine leaves it one: `--threads` is the process's total. (On 2 cores: median
            // 30.4 -> 29.0 ms, 120 interleaved runs.)
            var decoded = prefetch.map { DecodedInput.load($0, for: bundle.manifest) }
            decoded?.classify(with: classifier, threads: max(1, options.threads - 1))
            return (classifier, decoded, intact, templates)
        }
        if let intact, !intact.value {
            // A damaged cache file: load again checking it first, which makes it a miss, and rewrite it.
            cache?.defersChecksum = false
            classifier = try Classifier(bundle: classifier.bundle, options: options, weightCache: cache)
            decoded?.classification = nil  // Made with the damaged weights.
        }
        classifier.savePackedWeights()  // The model's sha256 matched.
        do {
            return (Analyzer(classifier: classifier, templates: try templates.value.get()), decoded)
        } catch {
            throw AnalysisError(.model, error.description)
        }
    }
}
