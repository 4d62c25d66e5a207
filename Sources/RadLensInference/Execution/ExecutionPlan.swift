import Dispatch
import RadLensKernels

/// A graph compiled for one set of input shapes: every shape inferred, every buffer allocated
/// once (activations share memory when their lifetimes do not overlap), every layer a ready
/// step. Running the plan allocates nothing. The passes, each in its own file:
/// 1. shape inference (`ShapeInference.swift`);
/// 2. layout planning (`BlockedLayout.swift`: which values are blocked, where reorders go) and
///    the Winograd tile per convolution (`ConvolutionSteps.swift`);
/// 3. memory planning (`MemoryPlanning.swift`: zero-bordered outputs, buffers by lifetime);
/// 4. step building: convolutions (`ConvolutionSteps.swift`), every other operator family
///    (`LayerSteps.swift`).
final class ExecutionPlan: @unchecked Sendable {
    let inputShapes: [String: [Int]]
    private(set) var shapes: [String: [Int]] = [:]
    /// Every value's buffer (set by memory planning).
    var pointers: [String: UnsafeMutablePointer<Float>] = [:]
    private var steps: [(ThreadPool) -> Void] = []
    /// The layer label of each step, for profiles.
    private(set) var labels: [String] = []
    /// Floating-point operations of one run (multiply and add counted separately).
    var flops = 0
    /// Values stored in the blocked layout, and where the plain graph outputs are.
    let layout: BlockedLayout
    let arena = Arena()
    /// Zero-bordered input copies for padded convolutions, shared by every convolution with the
    /// same padded geometry (they write the same interior, so the borders stay zero).
    var paddedInputs: [[Int]: UnsafeMutablePointer<Float>] = [:]
    /// Convolution and pooling outputs written into the interior of a zero-bordered buffer, with
    /// its geometry: convolutions read them in place, the padded ones without a copy.
    var paddedOutputs: [String: Padding] = [:]
    /// The Winograd output tile of each fast-precision convolution, by graph layer index (see `winogradTiles`).
    private(set) var winogradTiles: [Int: Int] = [:]
    /// Winograd's per-thread scratch (see `winogradBuffer`).
    var winogradScratch: (pointer: UnsafeMutablePointer<Float>, count: Int)?

    /// A plan whose loops are split for `threads` threads; `threadsSharingCache` threads run
    /// at the same time (more than `threads` for a worker's single-thread plan of a batch chunk).
    init(graph: OptimizedGraph, weights: PreparedWeights, kernels: any KernelSet.Type,
         inputShapes: [String: [Int]], threads: Int, threadsSharingCache: Int) throws(InferenceError) {
        self.inputShapes = inputShapes
        shapes = try ShapeInference.shapes(of: graph, inputShapes: inputShapes)
        layout = BlockedLayout(graph: graph, shapes: shapes, lanes: kernels.blockChannels)
        for step in layout.steps where step.source == nil { shapes[step.layer.output] = shapes[step.layer.inputs[0]] }
        winogradTiles = Self.winogradTiles(steps: layout.steps, weights: weights, shapes: shapes, lanes: kernels.blockChannels,
                                           threadsSharingCache: threadsSharingCache)
        planPaddedOutputs(weights: weights)
        try allocate(weights: weights)
        let scratch = arena.allocate(kernels.scratchCount * threads)
        for planned in layout.steps {
            steps.append(try step(index: planned.source, layer: planned.layer, weights: weights, kernels: kernels, scratch: scratch,
                                  threads: threads))
            let tile = planned.source.flatMap { winogradTiles[$0] }
            labels.append(planned.layer.label + (tile.map { " [Winograd F(\($0)x\($0),3x3)]" } ?? ""))
        }
    }

    /// The plain value holding graph output `index`.
    func outputSource(_ index: Int) -> String { layout.outputSources[index] }

    /// Floats stored for a value: blocked values pad their channels to whole blocks.
    func storedCount(_ name: String) -> Int {
        let shape = shapes[name]!
        guard layout.blocked.contains(name) else { return shape.reduce(1, *) }
        let lanes = layout.lanes
        return shape[0] * ((shape[1] + lanes - 1) / lanes * lanes) * shape.dropFirst(2).reduce(1, *)
    }

    /// Floats below which a memory-bound step stays on one thread (64 KB).
    static let minimumFloatsPerTask = 16_384

    /// Runs `body` on ranges of `planes` planes of `planeFloats` floats each (see `parallelRanges`).
    static func parallelPlanes(_ planes: Int, planeFloats: Int, pool: ThreadPool, _ body: (Range<Int>) -> Void) {
        parallelRanges(planes, minimum: max(1, minimumFloatsPerTask / max(1, planeFloats)), pool: pool, body)
    }

    /// Runs `body` on [0, count) split into about two ranges per thread, none shorter than
    /// `minimum` (a memory-bound step is not worth waking a thread for a few cache lines).
    static func parallelRanges(_ count: Int, minimum: Int, pool: ThreadPool, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(2 * pool.threadCount, count / max(1, minimum)))
        let size = (count + chunks - 1) / chunks
        pool.parallelFor(chunks) { task, _ in
            let start = task * size
            if start < count { body(start..<min(count, start + size)) }
        }
    }

    /// Runs every step in order.
    func run(pool: ThreadPool) {
        for step in steps { step(pool) }
    }

    /// Runs every step in order, adding each step's nanoseconds to `nanoseconds`.
    func run(pool: ThreadPool, nanoseconds: inout [UInt64]) {
        if nanoseconds.count != steps.count { nanoseconds = Array(repeating: 0, count: steps.count) }
        for (index, step) in steps.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            step(pool)
            nanoseconds[index] += DispatchTime.now().uptimeNanoseconds - start
        }
    }
}
