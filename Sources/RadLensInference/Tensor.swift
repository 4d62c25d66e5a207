/// A dense float32 tensor in row-major (C) order: the values a model reads and writes.
public struct Tensor: Sendable, Equatable {
    /// Dimensions, outermost first (NCHW for images).
    public var shape: [Int]
    /// Elements, row-major; `data.count` is the product of `shape`.
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(data.count == shape.reduce(1, *), "tensor data does not match shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: Array(repeating: 0, count: shape.reduce(1, *)))
    }

    /// Number of elements.
    public var count: Int { data.count }
}

/// The name, element shape and kind of a model input or output. Dynamic dimensions are nil.
public struct TensorInfo: Sendable, Equatable, Codable {
    public var name: String
    public var shape: [Int?]

    public init(name: String, shape: [Int?]) {
        self.name = name
        self.shape = shape
    }

    /// The shape as people write it, e.g. "[N, 1, 224, 224]".
    public var shapeDescription: String {
        "[" + shape.map { $0.map(String.init) ?? "N" }.joined(separator: ", ") + "]"
    }
}
