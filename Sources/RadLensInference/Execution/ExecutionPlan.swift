import Dispatch
import RadLensKernels

/// A graph compiled for one set of input shapes: every shape inferred, every buffer allocated
/// once (activations share memory when their lifetimes do not overlap), every layer a ready
/// step. Running the plan allocates nothing.
final class ExecutionPlan: @unchecked Sendable {
    let inputShapes: [String: [Int]]
    private(set) var shapes: [String: [Int]] = [:]
    private(set) var pointers: [String: UnsafeMutablePointer<Float>] = [:]
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
    private(set) var paddedOutputs: [String: Padding] = [:]
    /// The Winograd output tile of each fast-precision convolution, by graph layer index (see `winogradTiles`).
    private(set) var winogradTiles: [Int: Int] = [:]
    /// Winograd's per-thread scratch (see `winogradBuffer`).
    var winogradScratch: (pointer: UnsafeMutablePointer<Float>, count: Int)?

    /// A plan whose loops are split for `threads` threads; `threadsSharingCache` threads run
    /// at the same time (more than `threads` for a worker's single-thread plan of a batch chunk).
    init(graph: OptimizedGraph, weights: PreparedWeights, kernels: any KernelSet.Type,
         inputShapes: [String: [Int]], threads: Int, threadsSharingCache: Int) throws(InferenceError) {
        self.inputShapes = inputShapes
        for (name, shape) in inputShapes { shapes[name] = shape }
        for (name, tensor) in graph.constants { shapes[name] = tensor.shape }
        for layer in graph.layers {
            shapes[layer.output] = try Self.outputShape(of: layer, shapes: shapes)
        }
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

    // MARK: - Shapes

    static func outputShape(of layer: Layer, shapes: [String: [Int]]) throws(InferenceError) -> [Int] {
        func shape(_ index: Int) throws(InferenceError) -> [Int] {
            guard let shape = shapes[layer.inputs[index]] else {
                throw InferenceError(.invalidModel, "\(layer.label): input \"\(layer.inputs[index])\" has no known shape")
            }
            return shape
        }
        func mismatch(_ message: String) -> InferenceError { InferenceError(.shapeMismatch, "\(layer.label): \(message)") }
        let x = try shape(0)
        switch layer.kind {
        case .conv(let conv):
            guard x.count == 4 else { throw mismatch("expects a 4-D NCHW input, got \(x)") }
            guard x[1] == conv.channelsPerGroup * conv.groups else {
                throw mismatch("input has \(x[1]) channels, the weights expect \(conv.channelsPerGroup * conv.groups)")
            }
            guard let y = SpatialAxis.resolve(input: x[2], kernel: conv.kernel.height, stride: conv.strides.y, dilation: conv.dilations.y,
                                              padBegin: conv.pads[0], padEnd: conv.pads[2], autoPad: conv.autoPad),
                  let xAxis = SpatialAxis.resolve(input: x[3], kernel: conv.kernel.width, stride: conv.strides.x, dilation: conv.dilations.x,
                                                  padBegin: conv.pads[1], padEnd: conv.pads[3], autoPad: conv.autoPad)
            else { throw mismatch("the \(conv.kernel.height)x\(conv.kernel.width) kernel does not fit the \(x[2])x\(x[3]) input") }
            let output = [x[0], conv.outputChannels, y.output, xAxis.output]
            if conv.hasResidual, try shape(1) != output {
                throw mismatch("residual input \(try shape(1)) differs from the output \(output)")
            }
            return output
        case .dense(let dense):
            guard let last = x.last, last == dense.depth else {
                throw mismatch("input \(x) does not end in \(dense.depth) features")
            }
            return Array(x.dropLast()) + [dense.outputs]
        case .matMul:
            let b = try shape(1)
            guard x.count >= 2, b.count >= 2, x[x.count - 1] == b[b.count - 2] else { throw mismatch("cannot multiply \(x) by \(b)") }
            guard b.count == 2 || Array(b.dropLast(2)) == Array(x.dropLast(2)) else {
                throw mismatch("batch dimensions of \(x) and \(b) differ")
            }
            return Array(x.dropLast()) + [b[b.count - 1]]
        case .channelAffine(let scale, _, _):
            guard x.count >= 2, x[1] == scale.count else { throw mismatch("input \(x) does not have \(scale.count) channels") }
            return x
        case .activation, .softmax, .reorder:
            return x
        case .add, .mul:
            let b = try shape(1)
            guard let result = Elementwise.broadcastShape(x, b) else { throw mismatch("shapes \(x) and \(b) do not broadcast") }
            return result
        case .pool(let pool):
            guard x.count == 4 else { throw mismatch("expects a 4-D NCHW input, got \(x)") }
            guard let y = SpatialAxis.resolve(input: x[2], kernel: pool.kernel.height, stride: pool.strides.y, dilation: pool.dilations.y,
                                              padBegin: pool.pads[0], padEnd: pool.pads[2], autoPad: pool.autoPad, ceilMode: pool.ceilMode),
                  let xAxis = SpatialAxis.resolve(input: x[3], kernel: pool.kernel.width, stride: pool.strides.x, dilation: pool.dilations.x,
                                                  padBegin: pool.pads[1], padEnd: pool.pads[3], autoPad: pool.autoPad, ceilMode: pool.ceilMode)
            else { throw mismatch("the pooling window does not fit the \(x[2])x\(x[3]) input") }
            return [x[0], x[1], y.output, xAxis.output]
        case .globalAveragePool:
            guard x.count >= 3 else { throw mismatch("expects an N, C, spatial... input, got \(x)") }
            return [x[0], x[1]] + Array(repeating: 1, count: x.count - 2)
        case .reshape(.flatten(let axis)):
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0, a <= x.count else { throw mismatch("flatten axis \(axis) is out of range for \(x)") }
            return [x[..<a].reduce(1, *), x[a...].reduce(1, *)]
        case .reshape(.shape(let target)):
            var result = target.enumerated().map { index, dim in dim == 0 && index < x.count ? x[index] : dim }
            let known = result.filter { $0 != -1 }.reduce(1, *)
            let total = x.reduce(1, *)
            if let inferred = result.firstIndex(of: -1) {
                guard result.filter({ $0 == -1 }).count == 1, known > 0, total % known == 0 else {
                    throw mismatch("cannot reshape \(x) to \(target)")
                }
                result[inferred] = total / known
            }
            guard result.allSatisfy({ $0 >= 0 }), result.reduce(1, *) == total else { throw mismatch("cannot reshape \(x) to \(target)") }
            return result
        case .concat(let axis):
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0, a < x.count else { throw mismatch("concat axis \(axis) is out of range for \(x)") }
            var result = x
            result[a] = 0
            for index in layer.inputs.indices {
                let s = try shape(index)
                guard s.count == x.count, (0..<s.count).allSatisfy({ $0 == a || s[$0] == x[$0] }) else {
                    throw mismatch("inputs \(x) and \(s) differ outside axis \(a)")
                }
                result[a] += s[a]
            }
            return result
        case .pad(let pads, _):
            guard pads.count == 2 * x.count else { throw mismatch("\(pads.count) pads for a rank-\(x.count) input") }
            let result = (0..<x.count).map { x[$0] + pads[$0] + pads[$0 + x.count] }
            guard result.allSatisfy({ $0 > 0 }) else { throw mismatch("pads \(pads) leave nothing of \(x)") }
            return result
        case .reduceMean(let axes, let keepDims):
            let normalized = try normalizedAxes(axes, rank: x.count, layer: layer)
            return keepDims ? x.enumerated().map { normalized.contains($0.offset) ? 1 : $0.element }
                : x.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        }
    }

    static func normalizedAxes(_ axes: [Int]?, rank: Int, layer: Layer) throws(InferenceError) -> Set<Int> {
        guard let axes else { return Set(0..<rank) }
        var result = Set<Int>()
        for axis in axes {
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0, a < rank else { throw InferenceError(.shapeMismatch, "\(layer.label): axis \(axis) is out of range for rank \(rank)") }
            result.insert(a)
        }
        return result
    }

    // MARK: - Memory

    /// Chooses the outputs to write zero-bordered (see `paddedOutputs`): the blocked output of a
    /// convolution or pooling, not a graph output, that some blocked-input convolution pads,
    /// and that is read only by such convolutions, as input or residual. Those that pad it
    /// must pad it alike; the others read the interior with the buffer's strides. A residual
    /// block's output, read by the next block's 3x3 convolution and its shortcut, is so
    /// written once instead of being copied into a padded buffer.
    private func planPaddedOutputs(weights: PreparedWeights) {
        var readers: [String: [Int]] = [:]
        for (index, step) in layout.steps.enumerated() { for input in Set(step.layer.inputs) { readers[input, default: []].append(index) } }
        let outputs = Set(layout.outputSources)
        for step in layout.steps {
            let value = step.layer.output
            let blockedProducer: Bool
            switch step.layer.kind {
            case .conv: blockedProducer = weights.convs[step.source!]!.method != .gemm
            case .pool: blockedProducer = layout.blocked.contains(value)
            default: blockedProducer = false
            }
            guard blockedProducer, !outputs.contains(value), let readers = readers[value] else { continue }
            var padding: Padding?
            let readable = readers.allSatisfy { reader in
                let consumer = layout.steps[reader]
                guard case .conv(let next) = consumer.layer.kind, let nextPrepared = weights.convs[consumer.source!],
                      nextPrepared.method == .depthwise || nextPrepared.method == .direct(blockedInput: true) else { return false }
                guard consumer.layer.inputs[0] == value,
                      let needed = Self.inputPadding(next, winogradTile: winogradTiles[consumer.source!], x: shapes[value]!,
                                                     y: shapes[consumer.layer.output]!) else { return true }
                if padding == nil { padding = needed }
                return padding == needed
            }
            if readable, let padding { paddedOutputs[value] = padding }
        }
    }

    /// Gives a zero-bordered output its buffer. Values with the same geometry share one when
    /// their lifetimes (producer to reader) do not overlap: they write the same interior, so
    /// the border stays zero.
    private func paddedOutputBuffer(_ value: String, producedAt producer: Int, readAt reader: Int,
                                    buffers: inout [[Int]: [(pointer: UnsafeMutablePointer<Float>, busyUntil: Int)]]) -> UnsafeMutablePointer<Float> {
        let padding = paddedOutputs[value]!, shape = shapes[value]!
        let blocks = (shape[1] + layout.lanes - 1) / layout.lanes
        let key = [shape[0], blocks, shape[2], shape[3], padding.padTop, padding.padLeft, padding.paddedHeight, padding.paddedWidth]
        if let index = buffers[key, default: []].firstIndex(where: { $0.busyUntil < producer }) {
            buffers[key]![index].busyUntil = reader
            return buffers[key]![index].pointer
        }
        let pointer = arena.allocate(shape[0] * blocks * padding.paddedHeight * padding.paddedWidth * layout.lanes)
        buffers[key, default: []].append((pointer, reader))
        return pointer
    }

    /// Gives every value a buffer. Reshapes alias their input; a buffer is reused once every
    /// value living in it has been read for the last time. Graph inputs and outputs keep their own.
    private func allocate(weights: PreparedWeights) throws(InferenceError) {
        let layers = layout.steps.map(\.layer)
        var paddedBuffers: [[Int]: [(pointer: UnsafeMutablePointer<Float>, busyUntil: Int)]] = [:]
        var lastRead: [String: Int] = [:]
        for (index, layer) in layers.enumerated() { for input in layer.inputs { lastRead[input] = index } }
        for (index, layer) in layers.enumerated() where paddedOutputs[layer.output] != nil {
            pointers[layer.output] = paddedOutputBuffer(layer.output, producedAt: index, readAt: lastRead[layer.output]!,
                                                        buffers: &paddedBuffers)
        }
        var owner: [String: Int] = [:]  // value -> buffer id
        var sizes: [Int] = []
        var pinned = Set<Int>()
        func newBuffer(_ count: Int) -> Int {
            sizes.append(count)
            return sizes.count - 1
        }
        for (name, shape) in inputShapes {
            owner[name] = newBuffer(shape.reduce(1, *))
            pinned.insert(owner[name]!)
        }
        // Which buffer each layer's output lives in (aliases share one).
        var free: [Int] = []
        let outputs = Set(layout.outputSources)
        // Last layer index reading each value.
        var reads: [String: Int] = [:]
        for (index, layer) in layers.enumerated() { for input in layer.inputs { reads[input] = index } }
        var valuesInBuffer: [Int: [String]] = [:]
        // An elementwise layer (BatchNorm + ReLU after DenseNet's concatenations, a standalone
        // activation) writes over its input when nothing reads the input's buffer afterwards, so
        // it reads and writes the same cache lines rather than filling a second buffer.
        func inPlaceBuffer(for layer: Layer, at index: Int) -> Int? {
            switch layer.kind {
            case .channelAffine, .activation: break
            default: return nil
            }
            let input = layer.inputs[0]
            guard let source = owner[input], !pinned.contains(source), storedCount(input) == storedCount(layer.output),
                  valuesInBuffer[source, default: []].allSatisfy({ (reads[$0] ?? -1) <= index }) else { return nil }
            return source
        }
        for (index, layer) in layers.enumerated() where paddedOutputs[layer.output] == nil {
            let count = storedCount(layer.output)
            let buffer: Int
            if case .reshape = layer.kind, let source = owner[layer.inputs[0]] {
                buffer = source
            } else if let source = inPlaceBuffer(for: layer, at: index) {
                buffer = source
            } else if let reuse = free.enumerated().filter({ sizes[$0.element] >= count }).min(by: { sizes[$0.element] < sizes[$1.element] }) {
                buffer = free.remove(at: reuse.offset)
            } else if let grow = free.indices.max(by: { sizes[free[$0]] < sizes[free[$1]] }) {
                buffer = free.remove(at: grow)
                sizes[buffer] = count
            } else {
                buffer = newBuffer(count)
            }
            owner[layer.output] = buffer
            valuesInBuffer[buffer, default: []].append(layer.output)
            if outputs.contains(layer.output) { pinned.insert(buffer) }
            // Release buffers none of whose values is read after this layer.
            for input in Set(layer.inputs) {
                guard let b = owner[input], !pinned.contains(b), b != buffer else { continue }
                let stillRead = valuesInBuffer[b, default: []].contains { (reads[$0] ?? -1) > index }
                if !stillRead && !free.contains(b) { free.append(b) }
            }
        }
        let storage = sizes.map { arena.allocate($0) }
        for (name, buffer) in owner { pointers[name] = storage[buffer] }
        for (name, pointer) in weights.constants { pointers[name] = UnsafeMutablePointer(mutating: pointer) }
    }

    // MARK: - Steps

    private func step(index: Int?, layer: Layer, weights: PreparedWeights, kernels: any KernelSet.Type,
                      scratch: UnsafeMutablePointer<Float>, threads: Int) throws(InferenceError) -> (ThreadPool) -> Void {
        let x = shapes[layer.inputs[0]]!
        let y = shapes[layer.output]!
        let input = UnsafePointer(pointers[layer.inputs[0]]!)
        let output = pointers[layer.output]!
        let blocked = layout.blocked.contains(layer.output)
        let lanes = layout.lanes
        switch layer.kind {
        case .conv(let conv):
            return convStep(conv, weights.convs[index!]!, index: index!, weights: weights, x: x, y: y, input: input, output: output,
                            residual: conv.hasResidual ? UnsafePointer(pointers[layer.inputs[1]]!) : nil,
                            inputStorage: paddedOutputs[layer.inputs[0]],
                            residualStorage: conv.hasResidual ? paddedOutputs[layer.inputs[1]] : nil, outputPadding: paddedOutputs[layer.output],
                            kernels: kernels, scratch: scratch, threads: threads)
        case .reorder(let toBlocked):
            let plane = x.dropFirst(2).reduce(1, *)
            return { _ in
                if toBlocked {
                    BlockedOps.toBlocked(input, output, batch: x[0], channels: x[1], plane: plane, lanes: lanes)
                } else {
                    BlockedOps.toPlain(input, output, batch: x[0], channels: x[1], plane: plane, lanes: lanes)
                }
            }
        case .dense(let dense):
            let prepared = weights.denses[index!]!
            let rows = x.reduce(1, *) / dense.depth
            flops += 2 * rows * dense.depth * dense.outputs
            let chunk = max(1, (dense.outputs + threads - 1) / threads)
            let chunks = dense.depth * dense.outputs > 1 << 16 ? (dense.outputs + chunk - 1) / chunk : 1
            return { pool in
                pool.parallelFor(rows * chunks) { task, _ in
                    let row = task / chunks, part = task % chunks
                    let start = chunks == 1 ? 0 : part * chunk
                    let end = chunks == 1 ? dense.outputs : min(dense.outputs, start + chunk)
                    kernels.dense(input + row * dense.depth, weights: prepared.weights, bias: prepared.bias, inputCount: dense.depth,
                                  outputStart: start, outputEnd: end, activation: dense.activation, output: output + row * dense.outputs)
                }
            }
        case .matMul:
            let b = shapes[layer.inputs[1]]!
            let other = UnsafePointer(pointers[layer.inputs[1]]!)
            let m = x[x.count - 2], k = x[x.count - 1], n = b[b.count - 1]
            let batch = x.dropLast(2).reduce(1, *)
            flops += 2 * batch * m * k * n
            return { _ in
                TensorOps.matMul(input, other, output, batch: batch, m: m, k: k, n: n, aBatchStride: m * k,
                                 bBatchStride: b.count == 2 ? 0 : k * n)
            }
        case .channelAffine(_, _, let activation):
            let (scale, shift) = weights.affines[index!]!
            let plane = x.dropFirst(2).reduce(1, *)
            if blocked {
                let blocks = (x[1] + lanes - 1) / lanes
                return { pool in
                    Self.parallelPlanes(x[0] * blocks, planeFloats: plane * lanes, pool: pool) { range in
                        kernels.channelAffineBlocked(input, output, planeStart: range.lowerBound, planeEnd: range.upperBound, blocks: blocks,
                                                     planeSize: plane, scale: scale, shift: shift, activation: activation)
                    }
                }
            }
            return { _ in
                Elementwise.channelAffine(input, output, batch: x[0], channels: x[1], plane: plane, scale: scale, shift: shift, activation)
            }
        case .activation(let activation):
            let count = storedCount(layer.output)
            return { pool in
                Self.parallelRanges(count, minimum: Self.minimumFloatsPerTask, pool: pool) { range in
                    kernels.activate(input + range.lowerBound, output + range.lowerBound, count: range.count, activation: activation)
                }
            }
        case .add, .mul:
            let b = shapes[layer.inputs[1]]!
            let other = UnsafePointer(pointers[layer.inputs[1]]!)
            let multiply: Bool = { if case .mul = layer.kind { return true } else { return false } }()
            if blocked, let small = BlockedLayout.perChannelOperand(of: x, b) {
                let full = small == 1 ? input : other, gate = small == 1 ? other : input
                let fullShape = small == 1 ? x : b, perImage = (small == 1 ? b : x)[0] > 1
                let blocks = (fullShape[1] + lanes - 1) / lanes, plane = fullShape[2] * fullShape[3]
                return { pool in
                    Self.parallelPlanes(fullShape[0] * blocks, planeFloats: plane * lanes, pool: pool) { range in
                        kernels.binaryPerChannelBlocked(full, gate: gate, output, planeStart: range.lowerBound, planeEnd: range.upperBound,
                                                        blocks: blocks, plane: plane, perImage: perImage, multiply: multiply)
                    }
                }
            }
            if blocked {  // Same shapes, same layout: lane by lane over the stored floats.
                let count = storedCount(layer.output)
                return { pool in
                    Self.parallelRanges(count, minimum: Self.minimumFloatsPerTask, pool: pool) { range in
                        let start = range.lowerBound
                        Elementwise.sameShape(input + start, other + start, output + start, count: range.count, multiply: multiply)
                    }
                }
            }
            return { _ in Elementwise.binary(input, x, other, b, output, y, multiply: multiply) }
        case .pool(let pool):
            let yAxis = SpatialAxis.resolve(input: x[2], kernel: pool.kernel.height, stride: pool.strides.y, dilation: pool.dilations.y,
                                            padBegin: pool.pads[0], padEnd: pool.pads[2], autoPad: pool.autoPad, ceilMode: pool.ceilMode)!
            let xAxis = SpatialAxis.resolve(input: x[3], kernel: pool.kernel.width, stride: pool.strides.x, dilation: pool.dilations.x,
                                            padBegin: pool.pads[1], padEnd: pool.pads[3], autoPad: pool.autoPad, ceilMode: pool.ceilMode)!
            let window = Pooling.Window(kernelHeight: pool.kernel.height, kernelWidth: pool.kernel.width, strideY: pool.strides.y,
                                        strideX: pool.strides.x, padTop: yAxis.padBegin, padLeft: xAxis.padBegin,
                                        padBottom: yAxis.padEnd, padRight: xAxis.padEnd,
                                        dilationY: pool.dilations.y, dilationX: pool.dilations.x)
            let isMax = pool.mode == .max
            if blocked {
                // Tasks: whole planes when there are enough of them, else bands of rows.
                let planes = x[0] * ((x[1] + lanes - 1) / lanes)
                let bands = planes >= 2 * threads ? 1 : min(y[2], (2 * threads + planes - 1) / planes)
                let rowsPerBand = (y[2] + bands - 1) / bands
                let out = BlockedView(output, storage: paddedOutputs[layer.output], blocks: (y[1] + lanes - 1) / lanes, height: y[2],
                                      width: y[3], lanes: lanes)
                return { threadPool in
                    threadPool.parallelFor(planes * bands) { task, _ in
                        let plane = task / bands, rowStart = task % bands * rowsPerBand
                        guard rowStart < y[2] else { return }
                        kernels.poolBlocked(input + plane * x[2] * x[3] * lanes, out.origin + plane * out.blockStride, height: x[2],
                                            width: x[3], outputHeight: y[2], outputWidth: y[3], outputRowStride: out.rowStride,
                                            rowStart: rowStart, rowEnd: min(y[2], rowStart + rowsPerBand), window: window, max: isMax,
                                            countIncludePad: pool.countIncludePad)
                    }
                }
            }
            let planes = x[0] * x[1]
            return { threadPool in
                let chunk = max(1, (planes + threadPool.threadCount - 1) / threadPool.threadCount)
                threadPool.parallelFor((planes + chunk - 1) / chunk) { task, _ in
                    let start = task * chunk, count = min(chunk, planes - start)
                    if isMax && window.dilationY == 1 && window.dilationX == 1 {
                        Pooling.maxSeparable(input + start * x[2] * x[3], output + start * y[2] * y[3], planes: count, height: x[2],
                                             width: x[3], outputHeight: y[2], outputWidth: y[3], window: window)
                    } else {
                        Pooling.pool(input + start * x[2] * x[3], output + start * y[2] * y[3], planes: count, height: x[2], width: x[3],
                                     outputHeight: y[2], outputWidth: y[3], window: window, max: isMax,
                                     countIncludePad: pool.countIncludePad)
                    }
                }
            }
        case .globalAveragePool:
            let size = x.dropFirst(2).reduce(1, *)
            if blocked {
                let planes = x[0] * ((x[1] + lanes - 1) / lanes)
                return { pool in
                    Self.parallelPlanes(planes, planeFloats: size * lanes, pool: pool) { range in
                        kernels.globalAverageBlocked(input + range.lowerBound * size * lanes, output + range.lowerBound * lanes,
                                                     planes: range.count, planeSize: size)
                    }
                }
            }
            let planes = x[0] * x[1]
            return { _ in Pooling.globalAverage(input, output, planes: planes, planeSize: size) }
        case .reshape:
            return { _ in }  // The output aliases the input's buffer.
        case .concat(let axis):
            let a = axis < 0 ? axis + x.count : axis
            let outer = x[..<a].reduce(1, *)
            // Blocked inputs have whole blocks only, so each image's channels are one contiguous run too.
            let parts = layer.inputs.map { name in
                (pointer: UnsafePointer(pointers[name]!), inner: blocked ? storedCount(name) / outer : shapes[name]![a...].reduce(1, *))
            }
            // The copies, one per image and input, cut into pieces of at least the minimum task.
            var copies: [(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int)] = []
            var offset = 0
            let piece = max(Self.minimumFloatsPerTask, parts.reduce(0) { $0 + $1.inner } * outer / (2 * threads))
            for o in 0..<outer {
                for part in parts {
                    var start = 0
                    while start < part.inner {
                        let count = min(piece, part.inner - start)
                        copies.append((part.pointer + o * part.inner + start, output + offset + start, count))
                        start += count
                    }
                    offset += part.inner
                }
            }
            return { [copies] pool in
                pool.parallelFor(copies.count) { task, _ in
                    let copy = copies[task]
                    copy.to.update(from: copy.from, count: copy.count)
                }
            }
        case .softmax(let axis, let coerce):
            let a = axis < 0 ? axis + x.count : axis
            let outer = x[..<a].reduce(1, *)
            let length = coerce ? x[a...].reduce(1, *) : x[a]
            let inner = coerce ? 1 : x[(a + 1)...].reduce(1, *)
            return { _ in TensorOps.softmax(input, output, outer: outer, length: length, inner: inner) }
        case .pad(let pads, let value):
            return { _ in TensorOps.pad(input, shape: x, pads: pads, value: value, output, outputShape: y) }
        case .reduceMean(let axes, _):
            let normalized = try Self.normalizedAxes(axes, rank: x.count, layer: layer)
            return { _ in TensorOps.reduceMean(input, shape: x, axes: normalized, output) }
        }
    }
}
