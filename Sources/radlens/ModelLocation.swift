import ArgumentParser
import RadLensReport

/// `--model DIR`, defaulting to the shipped bundle.
struct ModelLocation: ParsableArguments {
    @Option(name: .customLong("model"), help: "Model bundle folder (default: Models/cxr-pneumonia, or $RADLENS_MODEL).",
            completion: .directory)
    var path: String?

    func bundle() throws -> ModelBundle {
        guard let path = path ?? ModelBundle.defaultPath() else {
            throw ValidationError("no model bundle found: pass --model DIR (a folder with manifest.json and model.onnx) or set RADLENS_MODEL")
        }
        return try ModelBundle(at: path)
    }
}
