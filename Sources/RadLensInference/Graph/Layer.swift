import RadLensKernels

/// One executable step of an optimised graph: an operator with its parsed, validated attributes.
struct Layer: Sendable {
    /// The ONNX node(s) this layer came from, for errors and profiles.
    var label: String
    var kind: LayerKind
    /// Runtime value names read, in operator order (constants are looked up by name too).
    var inputs: [String]
    var output: String
}

enum LayerKind: Sendable {
    case conv(ConvLayer)
    /// x [M, K] times constant weights [N, K] (transposed as stored) plus bias: Gemm and MatMul.
    case dense(DenseLayer)
    /// Runtime x runtime matrix product over the last two axes.
    case matMul
    /// Per-channel y = x * scale + shift (a BatchNormalization that could not be folded).
    case channelAffine(scale: [Float], shift: [Float], activation: Activation)
    case activation(Activation)
    case add
    case mul
    case pool(PoolLayer)
    case globalAveragePool
    /// Reinterprets the input's shape (Flatten, Reshape): no data moves.
    case reshape(ReshapeRule)
    case concat(axis: Int)
    case softmax(axis: Int, coerceTo2D: Bool)
    case pad(pads: [Int], value: Float)
    case reduceMean(axes: [Int]?, keepDims: Bool)
    /// Converts between the plain NCHW layout and the blocked one (inserted by `BlockedLayout`).
    case reorder(toBlocked: Bool)
}

struct ConvLayer: Sendable {
    /// [M, C/groups, kh, kw], BatchNormalization already folded in; empty when the model was
    /// read with its packed weights in a `PackedWeightCache` file.
    var weights: [Float]
    var bias: [Float]
    var outputChannels: Int
    var channelsPerGroup: Int
    var kernel: (height: Int, width: Int)
    var strides: (y: Int, x: Int)
    /// top, left, bottom, right.
    var pads: [Int]
    var autoPad: String
    var dilations: (y: Int, x: Int)
    var groups: Int
    var activation: Activation
    /// True when `inputs[1]` is added before the activation (a fused residual connection).
    var hasResidual: Bool
}

struct DenseLayer: Sendable {
    /// [N, K] row-major.
    var weights: [Float]
    var bias: [Float]?
    var outputs: Int
    var depth: Int
    var activation: Activation
}

struct PoolLayer: Sendable {
    enum Mode: Sendable { case max, average }
    var mode: Mode
    var kernel: (height: Int, width: Int)
    var strides: (y: Int, x: Int)
    var pads: [Int]
    var autoPad: String
    var dilations: (y: Int, x: Int)
    var ceilMode: Bool
    var countIncludePad: Bool
}

enum ReshapeRule: Sendable {
    case flatten(axis: Int)
    case shape([Int])
}
