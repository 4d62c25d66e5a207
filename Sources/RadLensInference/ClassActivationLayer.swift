/// The final linear layer of a classifier that ends in global average pooling, found in its
/// ONNX graph: what class activation maps (Zhou et al. 2016) need. `radlens model init` writes
/// it into a bundle's manifest so that every finding gets its own map.
///
/// Recognised: `logits = Gemm(Flatten(GlobalAveragePool(X)), W, b)` or `MatMul` + `Add`, with
/// Flatten, Reshape, Squeeze, Identity or Dropout between, and `ReduceMean` over the spatial
/// axes in place of GlobalAveragePool. X must be a graph output, since RadLens returns only those.
public struct ClassActivationLayer: Sendable, Equatable {
    /// The graph output holding the [N, C, H, W] feature map.
    public var featureMapOutput: String
    /// One row of C weights per logit, in output order.
    public var weights: [[Float]]
    public var bias: [Float]

    /// Looks for the layer behind `logitsOutput` in the ONNX file at `path`. Returns nil when
    /// the graph does not end that way; `pooledTensor` is then set when the pooled tensor exists
    /// but is not a graph output (so the caller can say what to export).
    public static func find(contentsOf path: String, logitsOutput: String) throws(InferenceError) -> (layer: ClassActivationLayer?, pooledTensor: String?) {
        let definition = try ONNXReader.read(contentsOf: path)
        var producer: [String: Node] = [:]
        var constants = definition.constants
        for node in definition.nodes {
            for output in node.outputs { producer[output] = node }
            if node.opType == "Constant", let output = node.outputs.first, case .tensor(let value) = node.attributes["value"] {
                constants[output] = value
            }
        }
        func floats(_ name: String?) -> Tensor? {
            guard let name, case .float(let tensor) = constants[name] else { return nil }
            return tensor
        }
        guard var linear = producer[logitsOutput] else { return (nil, nil) }
        var bias: Tensor?
        if linear.opType == "Add" {
            guard let matmul = linear.inputs.compactMap({ producer[$0] }).first(where: { $0.opType == "MatMul" }) else { return (nil, nil) }
            bias = linear.inputs.compactMap { floats($0) }.first
            linear = matmul
        }
        // Rows of W as [outputs][C].
        var rows: [[Float]]
        switch linear.opType {
        case "Gemm":
            guard linear.int("transA", default: 0) == 0, let w = floats(linear.input(1)), w.shape.count == 2 else { return (nil, nil) }
            rows = Self.rows(w, transposed: linear.int("transB", default: 0) == 1, scale: linear.float("alpha", default: 1))
            if let c = floats(linear.input(2)) { bias = Tensor(shape: c.shape, data: c.data.map { $0 * linear.float("beta", default: 1) }) }
        case "MatMul":
            guard let w = floats(linear.input(1)), w.shape.count == 2 else { return (nil, nil) }
            rows = Self.rows(w, transposed: false, scale: 1)
        default:
            return (nil, nil)
        }
        // Walk back through the reshaping to the pooling.
        var current = linear.inputs[0]
        while let node = producer[current], ["Flatten", "Reshape", "Squeeze", "Identity", "Dropout"].contains(node.opType) {
            current = node.inputs[0]
        }
        guard let pool = producer[current], pool.opType == "GlobalAveragePool" || (pool.opType == "ReduceMean" && Self.isSpatialMean(pool, constants)) else {
            return (nil, nil)
        }
        let featureMap = pool.inputs[0]
        guard definition.outputs.contains(where: { $0.name == featureMap }) else { return (nil, featureMap) }
        let channels = rows.first?.count ?? 0
        guard channels > 0 else { return (nil, nil) }
        let biasValues = bias.map { $0.data.count == rows.count ? $0.data : [Float](repeating: $0.data.first ?? 0, count: rows.count) }
            ?? [Float](repeating: 0, count: rows.count)
        return (ClassActivationLayer(featureMapOutput: featureMap, weights: rows, bias: biasValues), nil)
    }

    private static func rows(_ w: Tensor, transposed: Bool, scale: Float) -> [[Float]] {
        let (a, b) = (w.shape[0], w.shape[1])
        // Not transposed, W is [C, outputs] (y = x W); transposed, it is [outputs, C].
        return transposed
            ? (0..<a).map { o in (0..<b).map { w.data[o * b + $0] * scale } }
            : (0..<b).map { o in (0..<a).map { w.data[$0 * b + o] * scale } }
    }

    private static func isSpatialMean(_ node: Node, _ constants: [String: Constant]) -> Bool {
        var axes = node.ints("axes")
        if axes == nil, let name = node.input(1), case .int(_, let values) = constants[name] { axes = values }
        return Set(axes ?? []) == [2, 3] || Set(axes ?? []) == [-2, -1]
    }
}
