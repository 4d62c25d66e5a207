/// What an ONNX file holds, for people deciding whether RadLens can run it (`radlens model info`).
public struct ModelSummary: Sendable, Codable {
    public var path: String
    public var producer: String
    public var opset: Int
    public var inputs: [TensorInfo]
    public var outputs: [TensorInfo]
    /// Operator type -> number of nodes.
    public var operators: [String: Int]
    /// Nodes whose operator RadLens does not implement ("Op node \"name\"").
    public var unsupportedNodes: [String]
    public var parameters: Int
    /// Floating-point operations for one image at the declared input size (nil when the model
    /// cannot be loaded or its spatial size is dynamic).
    public var flopsPerImage: Int?
    /// Why the model cannot be loaded, when it cannot.
    public var loadError: String?

    /// Reads the file and, when it loads, measures FLOPs for one image of `inputShape`
    /// (default: the declared shape with batch 1).
    public init(contentsOf path: String, inputShape: [Int]? = nil) throws(InferenceError) {
        let definition = try ONNXReader.read(contentsOf: path)
        self.path = path
        producer = definition.producer
        opset = definition.opset
        inputs = definition.inputs
        outputs = definition.outputs
        operators = definition.nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
        unsupportedNodes = GraphBuilder.unsupportedNodes(definition)
        parameters = definition.constants.values.reduce(0) { total, constant in
            if case .float(let tensor) = constant { return total + tensor.count }
            return total
        }
        do {
            let session = try InferenceSession(definition: definition, options: SessionOptions(threads: 1), path: path)
            if inputs.count == 1 {
                let declared = inputs[0].shape.enumerated().map { $0.offset == 0 ? 1 : $0.element }
                if let shape = inputShape ?? (declared.allSatisfy { $0 != nil } ? declared.map { $0! } : nil) {
                    flopsPerImage = try session.flops(for: [inputs[0].name: shape]) / max(1, shape.first ?? 1)
                }
            }
        } catch {
            loadError = error.message
        }
    }
}
