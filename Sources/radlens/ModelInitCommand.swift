import ArgumentParser
import Foundation
import RadLensInference
import RadLensModel
import RadLensPreprocess

/// `radlens model init`: a bundle around your own ONNX classifier.
struct ModelInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a model bundle (manifest, model copy, report templates) from an ONNX classifier.",
        discussion: """
            The bundle is what analyze, batch and evaluate take with --model. Input name, channels \
            and size come from the ONNX file (they must be static); the first output is taken as \
            the logits. Heads: binary (one logit, sigmoid), multilabel (one sigmoid per label), \
            multiclass (softmax over the labels; the top class is the answer). Preprocessing: gray \
            (colour is converted; for 3-channel models the gray plane is replicated), scaled to \
            --scale, resized to the model's input (squashed, or --keep-aspect with black borders), \
            normalised with --mean and --std (one value, or one per channel). Calibration and \
            decision bands are RadLens's uncalibrated defaults: edit manifest.json with your \
            validation figures, then run `radlens model check`. When the model ends in global \
            average pooling and a linear layer, and exports the pooled feature map as an output, \
            the bundle gets a class activation map ("where the model looked") for every finding.

            Examples:
              radlens model init pneumonia.onnx --output bundles/pneumonia --head binary --labels pneumonia
              radlens model init densenet.onnx --output bundles/cxr14 --head multilabel --labels-file labels.txt \\
                  --scale 255 --mean 123.675,116.28,103.53 --std 58.395,57.12,57.375
              radlens model init subtype.onnx --output bundles/subtype --head multiclass --labels normal,bacterial,viral \\
                  --reference-class normal --group pneumonia=bacterial+viral
            """)

    @Argument(help: "The ONNX model.", completion: .file(extensions: ["onnx"]))
    var model: String

    @Option(help: "The bundle folder to create.", completion: .directory)
    var output: String

    @Option(help: "Output head: binary, multilabel or multiclass.")
    var head: ModelManifest.Head.Kind

    @Option(help: "Comma-separated label ids in the model's output order, e.g. normal,bacterial,viral.")
    var labels: String?

    @Option(help: "A file with one label id per line (instead of --labels).", completion: .file())
    var labelsFile: String?

    @Option(help: "Mean to subtract after scaling: one value or one per channel (comma-separated).")
    var mean: String = "0"

    @Option(help: "Standard deviation to divide by: one value or one per channel.")
    var std: String = "1"

    @Option(help: "Value range the model expects: unit ([0, 1]), 255 ([0, 255]) or xrv ([-1024, 1024], TorchXRayVision).")
    var scale: PreprocessingSpec.Scale = .unit

    @Flag(help: "Keep the aspect ratio when resizing (black borders) instead of squashing.")
    var keepAspect = false

    @Option(help: "Multiclass: the class that is no finding (scored, not reported), e.g. normal.")
    var referenceClass: String?

    @Option(help: "A finding made of labels (repeatable): NAME=a+b, e.g. pneumonia=bacterial+viral.")
    var group: [String] = []

    func run() throws {
        let ids = try labelIDs()
        let groups = try group.map { text -> (id: String, members: [String]) in
            let parts = text.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--group \"\(text)\" is not NAME=a+b") }
            return (String(parts[0]), parts[1].split(separator: "+").map(String.init))
        }
        let summary = try ModelSummary(contentsOf: model)
        if let error = summary.loadError { throw RuntimeError("\(model): RadLens cannot run this model: \(error)") }
        guard let input = summary.inputs.first, input.shape.count == 4,
              let channels = input.shape[1], let height = input.shape[2], let width = input.shape[3] else {
            throw RuntimeError("\(model): the input must be [N, C, H, W] with static C, H and W; it is \(summary.inputs.first?.shapeDescription ?? "missing")")
        }
        guard let logits = summary.outputs.first else { throw RuntimeError("\(model): the model has no output") }
        let perImage = logits.shape.dropFirst().reduce(Optional(1)) { total, dimension in total.flatMap { t in dimension.map { t * $0 } } }
        let writer = BundleWriter(kind: head, labels: ids, mean: try Self.floats(mean, "--mean"), std: try Self.floats(std, "--std"),
                                  scale: scale, keepAspect: keepAspect, referenceClass: referenceClass, groups: groups)
        let activation = try ClassActivationLayer.find(contentsOf: model, logitsOutput: logits.name)
        let classActivation = activation.layer.map {
            ($0.featureMapOutput, ModelManifest.ClassActivation(weights: $0.weights[0], bias: $0.bias[0], logitWeights: $0.weights))
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: model))
        let directory = URL(fileURLWithPath: output)
        do {
            let manifest = try writer.manifest(name: directory.lastPathComponent, model: data, facts: .init(
                inputName: input.name, channels: channels, height: height, width: width, logitsOutput: logits.name, logitCount: perImage,
                classActivation: classActivation))
            let templates = DefaultBundleSearch().places.first(where: \.found).map { URL(fileURLWithPath: $0.path).appendingPathComponent("templates") }
            try BundleWriter.write(manifest, model: data, templates: templates, to: directory)
            print("\(output): \(head.rawValue) bundle for \(model) (\(input.name) \(channels)x\(height)x\(width), \(ids.count) label(s))")
            if let layer = activation.layer {
                print("class activation maps: one per finding, from \(layer.featureMapOutput) and the final layer's weights")
            } else if let pooled = activation.pooledTensor {
                print("note: no class activation maps; export \(pooled) (the map before global pooling) as a model output to get one per finding")
            }
            if templates == nil { print("note: no shipped bundle found for the report templates; text and HTML reports need templates/") }
            print("next: edit \(output)/manifest.json (calibration, decision bands, codes, intended use), then `radlens model check \(output)`")
        } catch {
            throw RuntimeError(error.description)
        }
    }

    private func labelIDs() throws -> [String] {
        switch (labels, labelsFile) {
        case let (text?, nil):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case let (nil, file?):
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw RuntimeError("\(file): cannot read the labels file") }
            return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default:
            throw ValidationError("give the labels with --labels a,b,c or --labels-file FILE (one of them)")
        }
    }

    static func floats(_ text: String, _ option: String) throws -> [Float] {
        let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw ValidationError("\(option) \"\(text)\" is not a number or a comma-separated list of numbers") }
        return values.compactMap { $0 }
    }
}

extension ModelManifest.Head.Kind: ExpressibleByArgument {}
extension PreprocessingSpec.Scale: ExpressibleByArgument {}
