import RadLensKernels

/// An optimised graph: layers in execution order, with BatchNormalization folded into
/// convolutions and activations and residual additions fused into them.
struct OptimizedGraph: Sendable {
    var layers: [Layer]
    /// Float constants read at run time (e.g. the other operand of an Add).
    var constants: [String: Tensor]
    var inputs: [TensorInfo]
    /// Graph outputs, renamed through aliases to the values that hold them.
    var outputs: [TensorInfo]
    var outputSources: [String]
}

/// Turns a `ModelDefinition` into an `OptimizedGraph`, validating every node.
enum GraphBuilder {
    static let supportedOperators: Set<String> = [
        "Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Mul", "Add",
        "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Gemm", "MatMul", "Concat",
        "Softmax", "Identity", "Dropout", "Constant", "Pad", "ReduceMean",
    ]

    /// Consumes `model`, so that BatchNormalization folds into convolution weights in place
    /// (a copy of every weight would cost a cold start several milliseconds).
    static func build(_ model: consuming ModelDefinition) throws(InferenceError) -> OptimizedGraph {
        try checkWeights(model)
        var graph = try lowered(model)
        foldBatchNorm(&graph)
        fuseResiduals(&graph)
        fuseActivations(&graph)
        return graph
    }

    /// The graph with one layer per lowered node; `model` and the lowering's constants are
    /// gone on return, so each convolution's weights are referenced only by its layer.
    private static func lowered(_ model: consuming ModelDefinition) throws(InferenceError) -> OptimizedGraph {
        let nodes = model.nodes
        var lowering = Lowering(model: consume model)
        for node in nodes { try lowering.lower(node) }
        return lowering.graph()
    }

    /// Lists nodes whose operator RadLens does not implement (for `radlens model info`).
    static func unsupportedNodes(_ model: ModelDefinition) -> [String] {
        model.nodes.filter { !supportedOperators.contains($0.opType) }.map(\.label)
    }

    private static func checkWeights(_ model: ModelDefinition) throws(InferenceError) {
        for (name, constant) in model.constants {
            if case .float(let tensor) = constant, tensor.data.contains(where: { !$0.isFinite }) {
                throw InferenceError(.invalidWeights, "weight tensor \"\(name)\" contains NaN or infinite values")
            }
        }
    }

    /// How many layers (and graph outputs) read each value.
    private static func consumers(_ graph: OptimizedGraph) -> [String: Int] {
        var counts: [String: Int] = [:]
        for layer in graph.layers { for input in layer.inputs { counts[input, default: 0] += 1 } }
        for output in graph.outputSources { counts[output, default: 0] += 1 }
        return counts
    }

    /// Conv followed by an unfoldable-elsewhere BatchNormalization (as channelAffine) becomes one conv.
    private static func foldBatchNorm(_ graph: inout OptimizedGraph) {
        // Counted once: a fold removes the only read of the value it merges, and leaves every
        // other value's readers as they were (so do the fusions below).
        let counts = consumers(graph)
        var index = 0
        while index < graph.layers.count {
            if case .channelAffine(let scale, let shift, .none) = graph.layers[index].kind,
               let producer = graph.layers[..<index].lastIndex(where: { $0.output == graph.layers[index].inputs[0] }),
               case .conv(var conv) = graph.layers[producer].kind, !conv.hasResidual, conv.activation == .none,
               counts[graph.layers[producer].output] == 1, scale.count == conv.outputChannels {
                graph.layers[producer].kind = .add  // Releases the layer's reference: `conv` scales its weights in place.
                let perChannel = conv.weights.count / conv.outputChannels
                conv.weights.withUnsafeMutableBufferPointer { weights in
                    for m in 0..<conv.outputChannels {
                        for i in 0..<perChannel { weights[m * perChannel + i] *= scale[m] }
                    }
                }
                for m in 0..<conv.outputChannels { conv.bias[m] = conv.bias[m] * scale[m] + shift[m] }
                graph.layers[producer].kind = .conv(conv)
                graph.layers[producer].label += " + \(graph.layers[index].label)"
                graph.layers[producer].output = graph.layers[index].output
                graph.layers.remove(at: index)
                continue
            }
            index += 1
        }
    }

    /// Add(conv(x), y) where the conv result is used only there becomes conv with a residual input.
    private static func fuseResiduals(_ graph: inout OptimizedGraph) {
        let counts = consumers(graph)
        var index = 0
        while index < graph.layers.count {
            let layer = graph.layers[index]
            if case .add = layer.kind, layer.inputs.count == 2 {
                for side in 0..<2 {
                    let convOutput = layer.inputs[side], other = layer.inputs[1 - side]
                    guard graph.constants[other] == nil, counts[convOutput] == 1,
                          let producer = graph.layers[..<index].lastIndex(where: { $0.output == convOutput }),
                          case .conv(var conv) = graph.layers[producer].kind, !conv.hasResidual, conv.activation == .none,
                          // The other operand must already exist when the conv runs.
                          graph.inputs.contains(where: { $0.name == other })
                            || graph.layers[..<producer].contains(where: { $0.output == other })
                    else { continue }
                    conv.hasResidual = true
                    graph.layers[producer].kind = .conv(conv)
                    graph.layers[producer].inputs.append(other)
                    graph.layers[producer].label += " + \(layer.label)"
                    graph.layers[producer].output = layer.output
                    graph.layers.remove(at: index)
                    index -= 1
                    break
                }
            }
            index += 1
        }
    }

    /// Relu, Clip, Sigmoid, HardSigmoid, HardSwish after a conv, dense or channel-affine layer are applied in its epilogue.
    private static func fuseActivations(_ graph: inout OptimizedGraph) {
        let counts = consumers(graph)
        var index = 0
        while index < graph.layers.count {
            let layer = graph.layers[index]
            if case .activation(let activation) = layer.kind {
                if counts[layer.inputs[0]] == 1,
                   let producer = graph.layers[..<index].lastIndex(where: { $0.output == layer.inputs[0] }) {
                    var fused = true
                    switch graph.layers[producer].kind {
                    case .conv(var conv) where conv.activation == .none:
                        conv.activation = activation
                        graph.layers[producer].kind = .conv(conv)
                    case .dense(var dense) where dense.activation == .none:
                        dense.activation = activation
                        graph.layers[producer].kind = .dense(dense)
                    case .channelAffine(let scale, let shift, .none):
                        graph.layers[producer].kind = .channelAffine(scale: scale, shift: shift, activation: activation)
                    default:
                        fused = false
                    }
                    if fused {
                        graph.layers[producer].label += " + \(layer.label)"
                        graph.layers[producer].output = layer.output
                        graph.layers.remove(at: index)
                        continue
                    }
                }
            }
            index += 1
        }
    }
}

/// Node-by-node translation of ONNX operators into layers.
private struct Lowering {
    let model: ModelDefinition
    var constants: [String: Constant]
    var layers: [Layer] = []
    /// The outputs of `layers`: a check of each input against every earlier layer copied the
    /// layers (and retained their arrays) quadratically, 0.6 ms for the shipped model.
    var produced: Set<String> = []
    var aliases: [String: String] = [:]

    init(model: ModelDefinition) {
        self.model = model
        self.constants = model.constants
    }

    func resolve(_ name: String) -> String { aliases[name] ?? name }

    func graph() -> OptimizedGraph {
        var floats: [String: Tensor] = [:]
        let used = Set(layers.flatMap(\.inputs))
        for (name, constant) in constants where used.contains(name) {
            if case .float(let tensor) = constant { floats[name] = tensor }
        }
        return OptimizedGraph(layers: layers, constants: floats, inputs: model.inputs, outputs: model.outputs,
                              outputSources: model.outputs.map { resolve($0.name) })
    }

    func floatConstant(_ name: String?, _ node: Node, _ what: String) throws(InferenceError) -> Tensor {
        guard let name, case .float(let tensor)? = constants[resolve(name)] else {
            throw InferenceError(.unsupported, "\(node.label): \(what) must be a constant float tensor")
        }
        return tensor
    }

    func intConstant(_ name: String?, _ node: Node, _ what: String) throws(InferenceError) -> [Int] {
        guard let name, let constant = constants[resolve(name)] else {
            throw InferenceError(.unsupported, "\(node.label): \(what) must be a constant")
        }
        switch constant {
        case .int(_, let values): return values
        case .float(let tensor): return tensor.data.map { Int($0) }
        case .unread: throw InferenceError(.unsupported, "\(node.label): \(what) must be a constant")
        }
    }

    func isConstant(_ name: String) -> Bool { constants[resolve(name)] != nil }

    mutating func add(_ node: Node, _ kind: LayerKind, inputs: [String]) throws(InferenceError) {
        guard let output = node.outputs.first, !output.isEmpty else {
            throw InferenceError(.invalidModel, "\(node.label) has no output")
        }
        for input in inputs where !isConstant(input) && !model.inputs.contains(where: { $0.name == resolve(input) })
            && !produced.contains(resolve(input)) {
            throw InferenceError(.invalidModel, "\(node.label) reads \"\(input)\", which no earlier node produces (nodes must be in topological order)")
        }
        layers.append(Layer(label: node.label, kind: kind, inputs: inputs.map(resolve), output: output))
        produced.insert(output)
    }

    mutating func lower(_ node: Node) throws(InferenceError) {
        let opset = model.opset
        switch node.opType {
        case "Identity", "Dropout":
            if node.outputs.count > 1 && !node.outputs[1].isEmpty && model.outputs.contains(where: { $0.name == node.outputs[1] }) {
                throw InferenceError(.unsupported, "\(node.label): the Dropout mask output is not supported")
            }
            guard let input = node.input(0), let output = node.outputs.first else {
                throw InferenceError(.invalidModel, "\(node.label) has no input")
            }
            if let constant = constants[resolve(input)] { constants[output] = constant } else { aliases[output] = resolve(input) }
        case "Constant":
            guard let output = node.outputs.first else { throw InferenceError(.invalidModel, "\(node.label) has no output") }
            switch node.attributes["value"] ?? node.attributes["value_float"] ?? node.attributes["value_floats"]
                ?? node.attributes["value_int"] ?? node.attributes["value_ints"] {
            case .tensor(let constant)?: constants[output] = constant
            case .float(let v)?: constants[output] = .float(Tensor(shape: [], data: [v]))
            case .floats(let v)?: constants[output] = .float(Tensor(shape: [v.count], data: v))
            case .int(let v)?: constants[output] = .int(shape: [], values: [v])
            case .ints(let v)?: constants[output] = .int(shape: [v.count], values: v)
            default: throw InferenceError(.unsupported, "\(node.label): only tensor, float(s) and int(s) constants are supported")
            }
        case "Conv":
            try add(node, .conv(try conv(node)), inputs: [node.inputs[0]])
        case "BatchNormalization":
            if node.int("training_mode", default: 0) != 0 {
                throw InferenceError(.unsupported, "\(node.label): training_mode=1 is not supported (export the model in eval mode)")
            }
            let epsilon = node.float("epsilon", default: 1e-5)
            let gamma = try floatConstant(node.input(1), node, "scale")
            let beta = try floatConstant(node.input(2), node, "bias")
            let mean = try floatConstant(node.input(3), node, "mean")
            let variance = try floatConstant(node.input(4), node, "variance")
            let channels = gamma.count
            guard beta.count == channels, mean.count == channels, variance.count == channels else {
                throw InferenceError(.shapeMismatch, "\(node.label): scale, bias, mean and variance differ in length")
            }
            var scale = [Float](repeating: 0, count: channels), shift = scale
            for c in 0..<channels {
                scale[c] = gamma.data[c] / (variance.data[c] + epsilon).squareRoot()
                shift[c] = beta.data[c] - mean.data[c] * scale[c]
            }
            try add(node, .channelAffine(scale: scale, shift: shift, activation: .none), inputs: [node.inputs[0]])
        case "Relu":
            try add(node, .activation(.relu), inputs: [node.inputs[0]])
        case "Sigmoid":
            try add(node, .activation(.sigmoid), inputs: [node.inputs[0]])
        case "HardSigmoid":
            try add(node, .activation(.hardSigmoid(alpha: node.float("alpha", default: 0.2), beta: node.float("beta", default: 0.5))),
                    inputs: [node.inputs[0]])
        case "HardSwish":
            try add(node, .activation(.hardSwish), inputs: [node.inputs[0]])
        case "Clip":
            var low = -Float.greatestFiniteMagnitude, high = Float.greatestFiniteMagnitude
            if opset < 11 {
                low = node.float("min", default: low)
                high = node.float("max", default: high)
            } else {
                if let name = node.input(1) { low = try floatConstant(name, node, "min").data.first ?? low }
                if let name = node.input(2) { high = try floatConstant(name, node, "max").data.first ?? high }
            }
            try add(node, .activation(low == 0 && high == .greatestFiniteMagnitude ? .relu : .clip(low: low, high: high)),
                    inputs: [node.inputs[0]])
        case "Add", "Mul":
            guard node.inputs.count == 2 else { throw InferenceError(.invalidModel, "\(node.label) needs two inputs") }
            for input in node.inputs where isConstant(input) {
                if case .int? = constants[resolve(input)] {
                    throw InferenceError(.unsupported, "\(node.label): integer operands are not supported")
                }
            }
            try add(node, node.opType == "Add" ? .add : .mul, inputs: node.inputs)
        case "MaxPool", "AveragePool":
            if node.outputs.count > 1 && !node.outputs[1].isEmpty {
                throw InferenceError(.unsupported, "\(node.label): the Indices output of MaxPool is not supported")
            }
            try add(node, .pool(try pool(node)), inputs: [node.inputs[0]])
        case "GlobalAveragePool":
            try add(node, .globalAveragePool, inputs: [node.inputs[0]])
        case "Flatten":
            try add(node, .reshape(.flatten(axis: node.int("axis", default: 1))), inputs: [node.inputs[0]])
        case "Reshape":
            let shape: [Int]
            if opset < 5, let attribute = node.ints("shape") { shape = attribute } else {
                shape = try intConstant(node.input(1), node, "the target shape")
            }
            if node.int("allowzero", default: 0) != 0 && shape.contains(0) {
                throw InferenceError(.unsupported, "\(node.label): allowzero=1 with a zero dimension is not supported")
            }
            try add(node, .reshape(.shape(shape)), inputs: [node.inputs[0]])
        case "Gemm":
            try add(node, try gemm(node), inputs: [node.inputs[0]])
        case "MatMul":
            if let b = node.input(1), case .float(let weights)? = constants[resolve(b)], weights.shape.count == 2 {
                let (k, n) = (weights.shape[0], weights.shape[1])
                var transposed = [Float](repeating: 0, count: k * n)
                for i in 0..<k { for j in 0..<n { transposed[j * k + i] = weights.data[i * n + j] } }
                try add(node, .dense(DenseLayer(weights: transposed, bias: nil, outputs: n, depth: k, activation: .none)),
                        inputs: [node.inputs[0]])
            } else {
                try add(node, .matMul, inputs: node.inputs)
            }
        case "Concat":
            guard let axis = node.attributes["axis"].flatMap({ if case .int(let v) = $0 { v } else { nil } }) else {
                throw InferenceError(.invalidModel, "\(node.label): the axis attribute is required")
            }
            try add(node, .concat(axis: axis), inputs: node.inputs.filter { !$0.isEmpty })
        case "Softmax":
            try add(node, .softmax(axis: node.int("axis", default: opset >= 13 ? -1 : 1), coerceTo2D: opset < 13),
                    inputs: [node.inputs[0]])
        case "Pad":
            let mode = node.string("mode") ?? "constant"
            guard mode == "constant" else {
                throw InferenceError(.unsupported, "\(node.label): Pad mode \"\(mode)\" is not supported (only constant)")
            }
            if node.input(3) != nil { throw InferenceError(.unsupported, "\(node.label): the axes input of Pad is not supported") }
            let pads = opset < 11 ? (node.ints("pads") ?? []) : try intConstant(node.input(1), node, "pads")
            var value: Float = opset < 11 ? node.float("value", default: 0) : 0
            if opset >= 11, let name = node.input(2) { value = try floatConstant(name, node, "constant_value").data.first ?? 0 }
            try add(node, .pad(pads: pads, value: value), inputs: [node.inputs[0]])
        case "ReduceMean":
            var axes = node.ints("axes")
            if opset >= 18, let name = node.input(1) { axes = try intConstant(name, node, "axes") }
            if axes == nil && node.int("noop_with_empty_axes", default: 0) != 0 {
                throw InferenceError(.unsupported, "\(node.label): noop_with_empty_axes is not supported")
            }
            try add(node, .reduceMean(axes: axes, keepDims: node.int("keepdims", default: 1) != 0), inputs: [node.inputs[0]])
        default:
            throw InferenceError(.unsupported, "\(node.label): operator \(node.opType) is not supported")
        }
    }

    func spatial(_ node: Node, _ key: String, default value: Int) throws(InferenceError) -> (Int, Int) {
        guard let list = node.ints(key) else { return (value, value) }
        guard list.count == 2 else {
            throw InferenceError(.unsupported, "\(node.label): \(key) \(list) is not 2-D; RadLens runs 2-D images only")
        }
        return (list[0], list[1])
    }

    func padding(_ node: Node) throws(InferenceError) -> (pads: [Int], autoPad: String) {
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
            throw InferenceError(.invalidModel, "\(node.label): unknown auto_pad \"\(autoPad)\"")
        }
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else {
            throw InferenceError(.unsupported, "\(node.label): pads \(pads) are not 2-D non-negative pads")
        }
        return (pads, autoPad)
    }

    func conv(_ node: Node) throws(InferenceError) -> ConvLayer {
        let weights: (shape: [Int], data: [Float])
        if let name = node.input(1), case .unread(let shape)? = constants[resolve(name)] {
            weights = (shape, [])
        } else {
            let tensor = try floatConstant(node.input(1), node, "the weight")
            weights = (tensor.shape, tensor.data)
        }
        guard weights.shape.count == 4 else {
            throw InferenceError(.unsupported, "\(node.label): weight shape \(weights.shape) is not 2-D convolution weights")
        }
        let outputChannels = weights.shape[0]
        let groups = node.int("group", default: 1)
        guard groups >= 1, outputChannels % groups == 0 else {
            throw InferenceError(.shapeMismatch, "\(node.label): \(outputChannels) output channels do not split into \(groups) groups")
        }
        var bias = [Float](repeating: 0, count: outputChannels)
        if let name = node.input(2) {
            let b = try floatConstant(name, node, "the bias")
            guard b.count == outputChannels else {
                throw InferenceError(.shapeMismatch, "\(node.label): bias has \(b.count) values for \(outputChannels) output channels")
            }
            bias = b.data
        }
        let kernel = try spatial(node, "kernel_shape", default: 0)
        if node.ints("kernel_shape") != nil && (kernel.0 != weights.shape[2] || kernel.1 != weights.shape[3]) {
            throw InferenceError(.shapeMismatch, "\(node.label): kernel_shape \(kernel) differs from the weights' \(weights.shape)")
        }
        let strides = try spatial(node, "strides", default: 1)
        let dilations = try spatial(node, "dilations", default: 1)
        guard strides.0 > 0, strides.1 > 0, dilations.0 > 0, dilations.1 > 0 else {
            throw InferenceError(.invalidModel, "\(node.label): strides and dilations must be positive")
        }
        let (pads, autoPad) = try padding(node)
        return ConvLayer(weights: weights.data, bias: bias, outputChannels: outputChannels, channelsPerGroup: weights.shape[1],
                         kernel: (weights.shape[2], weights.shape[3]), strides: strides, pads: pads, autoPad: autoPad,
                         dilations: dilations, groups: groups, activation: .none, hasResidual: false)
    }

    func pool(_ node: Node) throws(InferenceError) -> PoolLayer {
        guard node.ints("kernel_shape") != nil else {
            throw InferenceError(.invalidModel, "\(node.label): kernel_shape is required")
        }
        let (pads, autoPad) = try padding(node)
        if node.int("storage_order", default: 0) != 0 {
            throw InferenceError(.unsupported, "\(node.label): storage_order=1 is not supported")
        }
        return PoolLayer(mode: node.opType == "MaxPool" ? .max : .average,
                         kernel: try spatial(node, "kernel_shape", default: 1), strides: try spatial(node, "strides", default: 1),
                         pads: pads, autoPad: autoPad, dilations: try spatial(node, "dilations", default: 1),
                         ceilMode: node.int("ceil_mode", default: 0) != 0,
                         countIncludePad: node.int("count_include_pad", default: 0) != 0)
    }

    func gemm(_ node: Node) throws(InferenceError) -> LayerKind {
        if node.int("transA", default: 0) != 0 {
            throw InferenceError(.unsupported, "\(node.label): transA=1 is not supported")
        }
        let b = try floatConstant(node.input(1), node, "B")
        guard b.shape.count == 2 else { throw InferenceError(.shapeMismatch, "\(node.label): B must be 2-D, is \(b.shape)") }
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let transB = node.int("transB", default: 0) != 0
        let (n, k) = transB ? (b.shape[0], b.shape[1]) : (b.shape[1], b.shape[0])
        var weights = [Float](repeating: 0, count: n * k)
        for j in 0..<n { for i in 0..<k { weights[j * k + i] = alpha * (transB ? b.data[j * k + i] : b.data[i * n + j]) } }
        var bias: [Float]?
        if let name = node.input(2) {
            let c = try floatConstant(name, node, "C")
            guard c.count == n || c.count == 1 else {
                throw InferenceError(.shapeMismatch, "\(node.label): C has shape \(c.shape), expected [\(n)] to broadcast over rows")
            }
            bias = c.count == n ? c.data.map { $0 * beta } : Array(repeating: c.data[0] * beta, count: n)
        }
        return .dense(DenseLayer(weights: weights, bias: bias, outputs: n, depth: k, activation: .none))
    }
}
