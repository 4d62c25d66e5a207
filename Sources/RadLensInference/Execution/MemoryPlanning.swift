import RadLensKernels

/// Planner pass 3, memory planning: which outputs are written zero-bordered, and one buffer per
/// value, shared by values whose lifetimes do not overlap.
extension ExecutionPlan {

    /// Chooses the outputs to write zero-bordered (see `paddedOutputs`): the blocked output of a
    /// convolution or pooling, not a graph output, that some blocked-input convolution pads,
    /// and that is read only by such convolutions, as input or residual. Those that pad it
    /// must pad it alike; the others read the interior with the buffer's strides. A residual
    /// block's output, read by the next block's 3x3 convolution and its shortcut, is so
    /// written once instead of being copied into a padded buffer.
    func planPaddedOutputs(weights: PreparedWeights) {
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
    func allocate(weights: PreparedWeights) throws(InferenceError) {
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
}
