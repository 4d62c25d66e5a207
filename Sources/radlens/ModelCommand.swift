import ArgumentParser
import Foundation
import RadLensInference
import RadLensPipeline

/// `radlens model`: for people who bring their own ONNX model.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect, run and benchmark ONNX models; make and check model bundles of your own.",
        discussion: """
            Examples:
              radlens model init my.onnx --output bundles/my --head multilabel --labels a,b,c
              radlens model check bundles/my
              radlens model info resnet18.onnx
              radlens model run resnet18.onnx --input x.npy --output y.npy
              radlens model bench resnet18.onnx --batch 16 --threads 2 --format json
            """,
        subcommands: [ModelInfoCommand.self, ModelRunCommand.self, ModelBenchCommand.self, ModelInitCommand.self, ModelCheckCommand.self]
    )
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Inputs, outputs, operators, parameters, FLOPs, and which operators are unsupported.",
        discussion: "Exit status 1 when RadLens cannot run the model (the reason is printed).")

    @Argument(help: "An ONNX model file.", completion: .file(extensions: ["onnx"]))
    var model: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let summary = try ModelSummary(contentsOf: model)
        switch format {
        case .json:
            print(try JSONOutput.string(summary))
        case .text:
            print("\(summary.path): ONNX opset \(summary.opset), produced by \(summary.producer)")
            for input in summary.inputs { print("  input  \(input.name) \(input.shapeDescription)") }
            for output in summary.outputs { print("  output \(output.name) \(output.shapeDescription)") }
            print("  parameters \(summary.parameters.formatted())")
            if let flops = summary.flopsPerImage {
                print("  FLOPs per image \(String(format: "%.3f", Double(flops) / 1e9)) G")
            }
            print("  operators " + summary.operators.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            if !summary.unsupportedNodes.isEmpty {
                print("  unsupported: " + summary.unsupportedNodes.joined(separator: ", "))
            }
            if let error = summary.loadError { print("  cannot run: \(error)") } else { print("  runs on RadLens: yes") }
        }
        if summary.loadError != nil { throw ExitCode(1) }
    }
}

struct ModelRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on a NumPy array and save its outputs as NumPy arrays.",
        discussion: """
            The input is a float32 .npy array shaped as the model's input (any batch size). The \
            first output is written to --output; further outputs to <output stem>.<name>.npy.

            Example:
              python -c "import numpy as np; np.save('x.npy', np.random.rand(8,1,224,224).astype('f4'))"
              radlens model run model.onnx --input x.npy --output y.npy
            """)

    @Argument(help: "An ONNX model file.", completion: .file(extensions: ["onnx"]))
    var model: String

    @Option(help: "Input array (.npy, float32).", completion: .file(extensions: ["npy"]))
    var input: String

    @Option(help: "Where to write the first output (.npy).")
    var output: String

    @OptionGroup var engine: EngineOptions

    func run() throws {
        let session = try InferenceSession(contentsOf: model, options: engine.sessionOptions(strictShape: false))
        let tensor = try NumPyFile.read(contentsOf: input)
        let results = try session.run(tensor)
        let stem = output.hasSuffix(".npy") ? String(output.dropLast(4)) : output
        for (index, info) in session.outputs.enumerated() {
            let path = index == 0 ? output : "\(stem).\(info.name).npy"
            try AtomicFile.write(NumPyFile.encode(results[info.name]!), to: path)
            print("\(info.name) \(results[info.name]!.shape) -> \(path)")
        }
    }
}

struct ModelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time inference on random input: images per second and GFLOP/s.",
        discussion: """
            Warms up, then runs until --seconds have passed. --height/--width run a network that \
            ends in global pooling at another input size.

            Example:
              radlens model bench Models/cxr-pneumonia/model.onnx --batch 16 --threads 2 --format json
            """)

    @Argument(help: "An ONNX model file.", completion: .file(extensions: ["onnx"]))
    var model: String

    @Option(help: "Images per batch.")
    var batch: Int = 1

    @Option(help: "Input height (default: the model's).")
    var height: Int?

    @Option(help: "Input width (default: the model's).")
    var width: Int?

    @Option(help: "Minimum timed duration in seconds.")
    var seconds: Double = 2

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(help: "Also print the time of each layer, slowest first (to standard error).")
    var profile = false

    @OptionGroup var engine: EngineOptions

    func run() throws {
        let session = try InferenceSession(contentsOf: model, options: engine.sessionOptions(strictShape: false))
        guard session.inputs.count == 1 else { throw ValidationError("bench runs single-input models only") }
        let declared = session.inputs[0].shape
        guard declared.count == 4 else { throw ValidationError("bench expects an NCHW image input, the model's is \(session.inputs[0].shapeDescription)") }
        guard let channels = declared[1], let h = height ?? declared[2], let w = width ?? declared[3] else {
            throw ValidationError("the model's input size is dynamic: give --height and --width")
        }
        let shape = [batch, channels, h, w]
        var generator = SystemRandomNumberGenerator()
        let input = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) })
        let name = session.inputs[0].name
        let flops = try session.flops(for: [name: shape])
        if profile {
            let layers = try session.profile([name: input])
            let total = layers.reduce(0) { $0 + $1.milliseconds }
            for layer in layers.prefix(25) {
                printError(String(format: "%8.3f ms %5.1f%%  %@", layer.milliseconds, layer.milliseconds / total * 100, layer.layer))
            }
            if layers.count > 25 {
                let rest = layers.dropFirst(25).reduce(0) { $0 + $1.milliseconds }
                printError(String(format: "%8.3f ms %5.1f%%  the other %d layers", rest, rest / total * 100, layers.count - 25))
            }
            printError(String(format: "%8.3f ms         all %d layers", total, layers.count))
        }
        for _ in 0..<2 { _ = try session.run([name: input]) }
        var runs = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            _ = try session.run([name: input])
            runs += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        let result = BenchResult(model: model, batch: batch, threads: engine.threads, precision: engine.precision.rawValue,
                                 kernelLevel: session.kernelLevel.rawValue, inputShape: shape,
                                 imagesPerSecond: Double(runs * batch) / elapsed, gflops: Double(flops) * Double(runs) / elapsed / 1e9,
                                 flopsPerImage: flops / batch, millisecondsPerBatch: elapsed / Double(runs) * 1000, runs: runs)
        switch format {
        case .json: print(try JSONOutput.string(result))
        case .text:
            print(String(format: "%@: batch %d, %d threads, %@ kernels: %.1f images/s, %.1f GFLOP/s, %.2f ms per batch",
                         model, batch, engine.threads, session.kernelLevel.rawValue, result.imagesPerSecond, result.gflops,
                         result.millisecondsPerBatch))
        }
    }
}

struct BenchResult: Encodable {
    var model: String
    var batch: Int
    var threads: Int
    var precision: String
    var kernelLevel: String
    var inputShape: [Int]
    var imagesPerSecond: Double
    var gflops: Double
    var flopsPerImage: Int
    var millisecondsPerBatch: Double
    var runs: Int
}

/// Engine settings shared by commands that run a model.
struct EngineOptions: ParsableArguments {
    // Optional, not `= activeProcessorCount`: ArgumentParser builds this group several times a
    // parse, and each default read the cgroup files again (0.3 ms of a cold start).
    @Option(name: .customLong("threads"), help: ArgumentHelp("Threads in all (default: all processors).", valueName: "threads"))
    var requestedThreads: Int?

    /// `--threads`, else every processor this process may use.
    var threads: Int { requestedThreads ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: "Kernel level: avx512, avx2 or generic (default: the best this CPU runs).")
    var kernels: KernelLevel = .best

    @Option(help: """
        fp32 (exact direct convolutions) or fast (Winograd F(4x4,3x3) or F(2x2,3x3) for 3x3 \
        stride-1 convolutions: 2-4x fewer multiplies, results within ~1e-5 relative of fp32).
        """)
    var precision: Precision = .fp32

    func sessionOptions(strictShape: Bool = true) -> SessionOptions {
        SessionOptions(threads: threads, kernelLevel: kernels, enforcesDeclaredShape: strictShape, precision: precision)
    }
}

extension KernelLevel: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
