import Foundation
import RadLensKernels

/// How exactly a session computes.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// Every convolution as a direct fp32 sum: the reference results.
    case fp32
    /// 3x3 stride-1 convolutions with enough output tiles in the batch use Winograd F(4x4, 3x3)
    /// or, on small maps, F(2x2, 3x3): about 4x (2.25x) fewer multiplies, with rounding
    /// differences of the order of 1e-5 relative (checked against ONNX Runtime and fp32 by the tests).
    case fast
}

/// How a session runs.
public struct SessionOptions: Sendable, Equatable {
    /// Worker threads (including the caller). Default: the machine's active processors.
    public var threads: Int
    /// The kernel level; default the fastest this CPU supports. Set to compare levels.
    public var kernelLevel: KernelLevel
    /// When false, inputs may differ from the declared spatial size (for networks that end in
    /// global pooling); rank and channels are still checked.
    public var enforcesDeclaredShape: Bool
    /// fp32 (default) or fast (Winograd for 3x3 convolutions).
    public var precision: Precision

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                kernelLevel: KernelLevel = .best, enforcesDeclaredShape: Bool = true, precision: Precision = .fp32) {
        self.threads = max(1, threads)
        self.kernelLevel = kernelLevel
        self.enforcesDeclaredShape = enforcesDeclaredShape
        self.precision = precision
    }
}

/// A loaded ONNX model ready to run on the CPU with RadLens's SIMD kernels.
///
/// Loading parses the file, validates every node (an unsupported operator or attribute is an
/// error naming the node), folds BatchNormalization into convolutions, fuses activations and
/// residual additions, and packs weights for the CPU's kernel level. The first run with a new
/// input shape plans buffers once; later runs with that shape allocate nothing.
///
/// A session is not thread-safe: run it from one thread at a time (it uses its own worker threads).
///
/// ```swift
/// let session = try InferenceSession(contentsOf: "model.onnx")
/// let outputs = try session.run(["image": Tensor(shape: [1, 1, 224, 224], data: pixels)])
/// ```
public final class InferenceSession {
    public let options: SessionOptions
    /// Graph inputs (dynamic dimensions are nil).
    public let inputs: [TensorInfo]
    /// Graph outputs.
    public let outputs: [TensorInfo]
    /// The kernel level in use.
    public var kernelLevel: KernelLevel { options.kernelLevel }

    let definition: ModelDefinition
    let graph: OptimizedGraph
    private let weights: PreparedWeights
    private let kernels: any KernelSet.Type
    private let pool: ThreadPool
    private var plans: [[String: [Int]]: ExecutionPlan] = [:]

    /// Loads the ONNX file at `path`.
    public convenience init(contentsOf path: String, options: SessionOptions = SessionOptions()) throws(InferenceError) {
        try self.init(definition: ONNXReader.read(contentsOf: path), options: options, path: path)
    }

    /// Loads an ONNX model from memory.
    public convenience init(data: Data, options: SessionOptions = SessionOptions()) throws(InferenceError) {
        try self.init(definition: ONNXReader.read(data), options: options, path: nil)
    }

    init(definition: ModelDefinition, options: SessionOptions, path: String?) throws(InferenceError) {
        guard options.kernelLevel.isSupported else {
            throw InferenceError(.unsupported, "this CPU cannot run the \(options.kernelLevel.rawValue) kernels")
        }
        do {
            graph = try GraphBuilder.build(definition)
        } catch {
            throw InferenceError(error.kind, path.map { "\($0): \(error.message)" } ?? error.message)
        }
        self.definition = definition
        self.options = options
        self.inputs = definition.inputs
        self.outputs = definition.outputs
        kernels = options.kernelLevel.kernels
        weights = PreparedWeights(graph: graph, kernels: kernels, precision: options.precision)
        pool = ThreadPool(threads: options.threads)
    }

    /// Runs the model on `feeds` (one tensor per graph input) and returns every graph output.
    public func run(_ feeds: [String: Tensor]) throws(InferenceError) -> [String: Tensor] {
        let plan = try plan(for: feeds.mapValues(\.shape))
        for (name, tensor) in feeds {
            tensor.data.withUnsafeBufferPointer { plan.pointers[name]!.update(from: $0.baseAddress!, count: $0.count) }
        }
        plan.run(pool: pool)
        var results: [String: Tensor] = [:]
        for (index, info) in outputs.enumerated() {
            let source = plan.outputSource(index)
            let shape = plan.shapes[source]!
            let pointer = plan.pointers[source]!
            results[info.name] = Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *))))
        }
        return results
    }

    /// Runs a single-input model.
    public func run(_ input: Tensor) throws(InferenceError) -> [String: Tensor] {
        guard inputs.count == 1 else {
            throw InferenceError(.invalidInput, "the model has \(inputs.count) inputs; name them")
        }
        return try run([inputs[0].name: input])
    }

    /// Time per layer over `runs` runs of `feeds`: (layer label, milliseconds per run), slowest first.
    public func profile(_ feeds: [String: Tensor], runs: Int = 10) throws(InferenceError) -> [(layer: String, milliseconds: Double)] {
        let plan = try plan(for: feeds.mapValues(\.shape))
        for (name, tensor) in feeds {
            tensor.data.withUnsafeBufferPointer { plan.pointers[name]!.update(from: $0.baseAddress!, count: $0.count) }
        }
        plan.run(pool: pool)
        var nanoseconds: [UInt64] = []
        for _ in 0..<max(1, runs) { plan.run(pool: pool, nanoseconds: &nanoseconds) }
        return zip(plan.labels, nanoseconds).map { ($0, Double($1) / 1e6 / Double(max(1, runs))) }.sorted { $0.1 > $1.1 }
    }

    /// Floating-point operations of one run on inputs of these shapes.
    public func flops(for shapes: [String: [Int]]) throws(InferenceError) -> Int {
        try plan(for: shapes).flops
    }

    /// The plan for these input shapes, built on first use.
    private func plan(for shapes: [String: [Int]]) throws(InferenceError) -> ExecutionPlan {
        if let plan = plans[shapes] { return plan }
        for info in inputs {
            guard let shape = shapes[info.name] else {
                throw InferenceError(.invalidInput, "input \"\(info.name)\" \(info.shapeDescription) was not given")
            }
            guard shape.count == info.shape.count || info.shape.isEmpty,
                  zip(shape, info.shape).enumerated().allSatisfy({ axis, dims in
                      dims.1 == nil || dims.0 == dims.1 || (!options.enforcesDeclaredShape && axis >= 2)
                  }) else {
                throw InferenceError(.invalidInput, "input \"\(info.name)\" has shape \(shape); the model expects \(info.shapeDescription)")
            }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw InferenceError(.invalidInput, "input \"\(info.name)\" has an empty dimension: \(shape)")
            }
        }
        for name in shapes.keys where !inputs.contains(where: { $0.name == name }) {
            throw InferenceError(.invalidInput, "the model has no input named \"\(name)\" (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
        }
        let plan = try ExecutionPlan(graph: graph, weights: weights, kernels: kernels, inputShapes: shapes, threads: pool.threadCount)
        if plans.count > 8 { plans.removeAll() }  // Bound memory when callers vary shapes a lot.
        plans[shapes] = plan
        return plan
    }
}
