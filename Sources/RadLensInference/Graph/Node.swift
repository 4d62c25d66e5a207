/// One ONNX node as read from the file: operator type, wiring and raw attributes.
struct Node: Sendable {
    var name: String
    var opType: String
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: AttributeValue]

    /// A label for errors: `Conv node "conv1"` (or the first output when the node is unnamed).
    var label: String { "\(opType) node \"\(name.isEmpty ? (outputs.first ?? "?") : name)\"" }

    /// The input at `index`, or nil when absent or empty (ONNX marks skipped optional inputs with "").
    func input(_ index: Int) -> String? {
        index < inputs.count && !inputs[index].isEmpty ? inputs[index] : nil
    }

    func int(_ key: String, default value: Int) -> Int {
        if case .int(let v) = attributes[key] { return v }
        return value
    }

    func float(_ key: String, default value: Float) -> Float {
        if case .float(let v) = attributes[key] { return v }
        return value
    }

    func ints(_ key: String) -> [Int]? {
        if case .ints(let v) = attributes[key] { return v }
        return nil
    }

    func string(_ key: String) -> String? {
        if case .string(let v) = attributes[key] { return v }
        return nil
    }
}

/// An ONNX attribute value of the kinds RadLens reads.
enum AttributeValue: Sendable {
    case int(Int)
    case float(Float)
    case ints([Int])
    case floats([Float])
    case string(String)
    case tensor(Constant)
    case other(String)
}

/// A constant tensor from the file: float32 values, or integers (shapes, axes, pads).
enum Constant: Sendable {
    case float(Tensor)
    case int(shape: [Int], values: [Int])
    /// Float32 values deliberately left in the file: a convolution's weights whose packed form
    /// comes from a `PackedWeightCache` file.
    case unread(shape: [Int])

    var shape: [Int] {
        switch self {
        case .float(let tensor): tensor.shape
        case .int(let shape, _): shape
        case .unread(let shape): shape
        }
    }
}
