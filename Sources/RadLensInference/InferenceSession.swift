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

    let graph: OptimizedGraph
    let weights: PreparedWeights
    private let kernels: any KernelSet.Type
    private let pool: ThreadPool
    /// Runs a chunk's plan inline on the worker that took the chunk.
    private let serialPool = ThreadPool(threads: 1)
    private var plans: [PlanKey: ExecutionPlan] = [:]
    /// Chunks of each batch shape seen (nil: the whole batch in one plan).
    private var chunking: [[String: [Int]]: Int?] = [:]

    /// A plan for some input shapes; `worker` set for the single-thread plans of batch chunks.
    private struct PlanKey: Hashable {
        var shapes: [String: [Int]]
        var worker: Int?
    }

    /// Loads the ONNX file at `path`.
    public convenience init(contentsOf path: String, options: SessionOptions = SessionOptions()) throws(InferenceError) {
        try self.init(definition: ONNXReader.read(contentsOf: path), options: options, path: path)
    }

    /// Loads an ONNX model from memory.
    ///
    /// With `cache` and the model's sha256 (which the caller vouches for: `ModelBundle.load`
    /// checks it meanwhile), the packed convolution weights come from the cache's file for this
    /// model and kernel level when it is valid; at `Precision.fp32` the convolution weights are
    /// then never converted from the model. The results are bit-identical either way. Nothing
    /// is written: `savePackedWeights` does that once the sha256 is confirmed.
    public convenience init(data: Data, options: SessionOptions = SessionOptions(),
                            cache: PackedWeightCache? = nil, modelSHA256: String? = nil) throws(InferenceError) {
        guard let cache, let modelSHA256 else {
            try self.init(definition: ONNXReader.read(data), options: options, path: nil)
            return
        }
        guard options.kernelLevel.isSupported else { throw Self.unsupportedLevel(options.kernelLevel) }
        if let file = cache.open(modelSHA256: modelSHA256, level: options.kernelLevel) {
            // Winograd transforms need the weights themselves: only fp32 leaves them unread.
            let definition = try ONNXReader.read(data, skippingConvolutionWeights: options.precision == .fp32)
            let inputs = definition.inputs, outputs = definition.outputs
            let graph = try GraphBuilder.build(definition)
            let kernels = options.kernelLevel.kernels
            if let convolutions = PreparedWeights.cachedConvolutions(file, graph: graph, kernels: kernels) {
                let weights = PreparedWeights(graph: graph, kernels: kernels, precision: options.precision,
                                              cached: (file, convolutions))
                self.init(graph: graph, weights: weights, inputs: inputs, outputs: outputs, options: options)
                return
            }
        }
        try self.init(definition: ONNXReader.read(data), options: options, path: nil)
    }

    /// True when the packed convolution weights came from a `PackedWeightCache` file.
    public var usesCachedWeights: Bool { weights.usesCachedWeights }

    /// The cached weights' whole-file checksum, when the cache deferred it
    /// (`PackedWeightCache.defersChecksum`): true when it holds. Call it from any thread, for
    /// example alongside the model's sha256; it runs once, and every run waits for it. When it
    /// fails, runs throw: load the session again without deferring, and the file is a miss.
    public var cachedWeightsCheck: (@Sendable () -> Bool)? {
        guard let file = weights.cacheFile else { return nil }
        return { file.checksumHolds() }
    }

    /// Refuses to compute with cached weights whose checksum failed (checking it if nobody has).
    private func requireIntactWeights() throws(InferenceError) {
        guard let file = weights.cacheFile, !file.checksumHolds() else { return }
        throw InferenceError(.invalidWeights, "the packed-weight cache file for this model is damaged (its checksum fails); load the model again")
    }

    /// Writes the packed weights to `cache` as the file of the model with this sha256, unless
    /// they came from there. Call it only once the sha256 is known to be the model's (after
    /// `ModelBundle.load` returned): a file names the model it claims to hold. Returns false
    /// when nothing was written.
    @discardableResult
    public func savePackedWeights(to cache: PackedWeightCache, modelSHA256: String) -> Bool {
        guard !usesCachedWeights else { return false }
        return cache.store(weights.packedConvolutionBuffers(of: graph), modelSHA256: modelSHA256, level: options.kernelLevel)
    }

    convenience init(definition: consuming ModelDefinition, options: SessionOptions, path: String?) throws(InferenceError) {
        guard options.kernelLevel.isSupported else { throw Self.unsupportedLevel(options.kernelLevel) }
        let inputs = definition.inputs, outputs = definition.outputs
        let graph: OptimizedGraph
        do {
            graph = try GraphBuilder.build(consume definition)
        } catch {
            throw InferenceError(error.kind, path.map { "\($0): \(error.message)" } ?? error.message)
        }
        let weights = PreparedWeights(graph: graph, kernels: options.kernelLevel.kernels, precision: options.precision)
        self.init(graph: graph, weights: weights, inputs: inputs, outputs: outputs, options: options)
    }

    private init(graph: OptimizedGraph, weights: PreparedWeights, inputs: [TensorInfo], outputs: [TensorInfo], options: SessionOptions) {
        self.options = options
        self.inputs = inputs
        self.outputs = outputs
        self.graph = graph
        self.weights = weights
        kernels = options.kernelLevel.kernels
        pool = ThreadPool(threads: options.threads)
    }

    private static func unsupportedLevel(_ level: KernelLevel) -> InferenceError {
        InferenceError(.unsupported, "this CPU cannot run the \(level.rawValue) kernels")
    }

    private init(sharing other: InferenceSession, threads: Int) {
        var options = other.options
        options.threads = max(1, threads)
        self.options = options
        inputs = other.inputs
        outputs = other.outputs
        graph = other.graph
        weights = other.weights
        kernels = other.kernels
        pool = ThreadPool(threads: options.threads)
    }

    /// Another session for the same model with its own `threads` threads and plans, sharing
    /// this one's optimised graph and packed weights (read-only once packed): batch workers
    /// take one each rather than loading and packing the model again.
    public func replica(threads: Int) -> InferenceSession {
        InferenceSession(sharing: self, threads: threads)
    }

    /// Runs the model on `feeds` (one tensor per graph input) and returns every graph output.
    /// `threads` runs it on fewer of the session's threads, when another thread of the process
    /// has a core busy (a cold start's first image, classified while the model is hashed).
    public func run(_ feeds: [String: Tensor], threads: Int? = nil) throws(InferenceError) -> [String: Tensor] {
        if let threads {
            let all = pool.participants
            pool.participants = threads
            defer { pool.participants = all }
            return try run(feeds)
        }
        try requireIntactWeights()
        if let chunks = try chunkCount(for: feeds.mapValues(\.shape)) { return try runInChunks(feeds, chunks: chunks) }
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
        try requireIntactWeights()
        let plan = try plan(for: feeds.mapValues(\.shape))
        for (name, tensor) in feeds {
            tensor.data.withUnsafeBufferPointer { plan.pointers[name]!.update(from: $0.baseAddress!, count: $0.count) }
        }
        plan.run(pool: pool)
        var nanoseconds: [UInt64] = []
        for _ in 0..<max(1, runs) { plan.run(pool: pool, nanoseconds: &nanoseconds) }
        return zip(plan.labels, nanoseconds).map { ($0, Double($1) / 1e6 / Double(max(1, runs))) }.sorted { $0.1 > $1.1 }
    }

    /// Plans the buffers for inputs of these shapes now rather than on the first run: a cold
    /// start does it while another core checks the model's hash.
    public func preparePlan(for shapes: [String: [Int]]) throws(InferenceError) {
        _ = try plan(for: shapes)
    }

    /// Floating-point operations of one run on inputs of these shapes.
    public func flops(for shapes: [String: [Int]]) throws(InferenceError) -> Int {
        try plan(for: shapes).flops
    }

    /// The plan for these input shapes, built on first use: for the whole pool, or with
    /// `worker` a single-thread plan of that worker's own.
    func plan(for shapes: [String: [Int]], worker: Int? = nil) throws(InferenceError) -> ExecutionPlan {
        let key = PlanKey(shapes: shapes, worker: worker)
        if let plan = plans[key] { return plan }
        try validate(shapes)
        let plan = try ExecutionPlan(graph: graph, weights: weights, kernels: kernels, inputShapes: shapes,
                                     threads: worker == nil ? pool.threadCount : 1, threadsSharingCache: pool.threadCount)
        if plans.count > 16 { plans.removeAll() }  // Bound memory when callers vary shapes a lot.
        plans[key] = plan
        return plan
    }

    /// Checks that `shapes` gives every graph input, and only those, with the declared dimensions.
    private func validate(_ shapes: [String: [Int]]) throws(InferenceError) {
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
    }

    // MARK: - Batches in chunks

    /// Bytes of the largest activation of a chunk: a quarter of a 32 MB L3, so that a layer's
    /// output is still in cache when the next layer reads it.
    static let chunkBytes = 8 << 20

    /// Weights past which a batch on several threads runs as one plan. Each chunk reads every
    /// layer's weights; past a 32 MB L3 they come from memory once per chunk, while one plan
    /// splits each layer's weights between the threads and reads them once per batch. On a Zen 3
    /// at AVX2, batch 16 on 2 threads (best of 3-6 interleaved runs): ResNet-18 (45 MB of
    /// weights) 483 ms in chunks, 411 ms as one plan; in chunks DenseNet-121 (28 MB) took 762
    /// against 1,038 ms and MobileNetV2 (9 MB) 90 against 120, and the shipped model (14 MB)
    /// the same either way at fp32.
    static let chunkedWeightLimit = 32 << 20

    /// Bytes of the model's convolution and dense weights as float32.
    var weightBytes: Int {
        graph.layers.reduce(0) { total, layer in
            switch layer.kind {
            case .conv(let conv): total + conv.outputChannels * conv.channelsPerGroup * conv.kernel.height * conv.kernel.width * 4
            case .dense(let dense): total + dense.outputs * dense.depth * 4
            default: total
            }
        }
    }

    /// How many chunks a batch runs as, each taken by one thread through a plan of its own;
    /// nil when it runs as one plan with every thread on each layer. Chunks keep each layer's
    /// output in cache for the next (a batch of 16 224x224 images with 16 channels is 51 MB a
    /// layer) and let threads work without waiting for each other after every layer. A batch
    /// splits only when images are independent through the whole graph, and on several threads
    /// only when the weights fit the L3 (`chunkedWeightLimit`). On several threads the count is
    /// a multiple of the threads, and chunks differ by at most one image, so that no thread
    /// idles while another runs a last chunk: chunks of 6, 6 and 4 images (the shipped model at
    /// 224x224, batch 16, 2 threads) kept one thread busy for 10 images and the other for 6,
    /// and the batch took 23% longer than as one plan.
    func chunkCount(for shapes: [String: [Int]]) throws(InferenceError) -> Int? {
        if let known = chunking[shapes] { return known }
        try validate(shapes)  // Errors name the batch the caller gave, not a chunk's.
        var count: Int?
        // Only a batch axis the model leaves open splits: a fixed one (a model exported for
        // batches of exactly N) may be built into its reshapes, and chunks would not validate.
        let batchIsOpen = inputs.count == 1 && (inputs[0].shape.first.map { $0 == nil } ?? false)
        let weightHeavy = pool.threadCount > 1 && weightBytes > Self.chunkedWeightLimit
        if batchIsOpen, !weightHeavy, let shape = shapes[inputs[0].name], shape.count >= 1, shape[0] >= 2 {
            let batch = shape[0]
            if let largest = Self.largestImageActivation(graph, inputShapes: shapes, batch: batch) {
                let images = max(1, min(batch, Self.chunkBytes / max(1, largest * 4)))
                let threads = pool.threadCount
                let chunks = min(batch, ((batch + images - 1) / images + threads - 1) / threads * threads)
                if chunks > 1 { count = chunks }
            }
        }
        chunking[shapes] = count
        return count
    }

    /// Floats of the largest value of one image, or nil when some layer mixes the images of a
    /// batch (an axis-0 softmax, reduction, concatenation or pad, a value whose first
    /// dimension is not the batch, a product of two computed matrices).
    static func largestImageActivation(_ graph: OptimizedGraph, inputShapes: [String: [Int]], batch: Int) -> Int? {
        var shapes = inputShapes
        for (name, tensor) in graph.constants { shapes[name] = tensor.shape }
        var largest = 0
        for layer in graph.layers {
            guard let y = try? ShapeInference.outputShape(of: layer, shapes: shapes), y.first == batch else { return nil }
            shapes[layer.output] = y
            largest = max(largest, y.reduce(1, *) / batch)
            let rank = shapes[layer.inputs[0]]?.count ?? 0
            switch layer.kind {
            case .softmax(let axis, let coerce):
                if axis == 0 || axis == -rank || coerce && axis <= 0 { return nil }
            case .reduceMean(let axes, _):
                guard let axes, !axes.contains(0), !axes.contains(-rank) else { return nil }
            case .concat(let axis):
                if axis == 0 || axis == -rank { return nil }
            case .pad(let pads, _):
                if pads.first != 0 || pads[rank] != 0 { return nil }
            case .matMul:
                if graph.constants[layer.inputs[1]] == nil { return nil }
            default:
                break
            }
        }
        return largest
    }

    /// Runs the batch of a single-input model as `chunks` chunks of near-equal size spread over
    /// the pool's threads, each run by the thread that takes it through its own plan.
    private func runInChunks(_ feeds: [String: Tensor], chunks: Int) throws(InferenceError) -> [String: Tensor] {
        let input = feeds[inputs[0].name]!
        let name = inputs[0].name, batch = input.shape[0], imageFloats = input.count / batch
        /// The images of chunk `task`: sizes differ by at most one.
        func images(_ task: Int) -> Range<Int> { task * batch / chunks..<(task + 1) * batch / chunks }
        let sizes = Set((0..<chunks).map { images($0).count })
        // Every plan a worker may need, made before the threads start (making one changes the session).
        var chunkPlans: [Int: [ExecutionPlan]] = [:]
        for size in sizes {
            var shape = input.shape
            shape[0] = size
            chunkPlans[size] = try (0..<pool.threadCount).map { worker throws(InferenceError) in
                try plan(for: [name: shape], worker: pool.threadCount == 1 ? nil : worker)
            }
        }
        let sampleSize = sizes.first!, sample = chunkPlans[sampleSize]![0]
        let outputShapes = outputs.indices.map { sample.shapes[sample.outputSource($0)]! }
        let outputFloats = outputShapes.map { $0.reduce(1, *) / sampleSize }  // per image
        let results = outputFloats.map { UnsafeMutablePointer<Float>.allocate(capacity: $0 * batch) }
        defer { results.forEach { $0.deallocate() } }
        let runPool = pool.threadCount == 1 ? pool : serialPool
        input.data.withUnsafeBufferPointer { source in
            let source = source.baseAddress!
            pool.parallelFor(chunks) { task, worker in
                let range = images(task), first = range.lowerBound, count = range.count
                let plan = chunkPlans[count]![pool.threadCount == 1 ? 0 : worker]
                plan.pointers[name]!.update(from: source + first * imageFloats, count: count * imageFloats)
                plan.run(pool: runPool)
                for (index, floats) in outputFloats.enumerated() {
                    (results[index] + first * floats).update(from: plan.pointers[plan.outputSource(index)]!, count: count * floats)
                }
            }
        }
        var tensors: [String: Tensor] = [:]
        for (index, info) in outputs.enumerated() {
            var shape = outputShapes[index]
            shape[0] = batch
            tensors[info.name] = Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: results[index], count: outputFloats[index] * batch)))
        }
        return tensors
    }
}
