/// Decides which values live in the blocked (NCHWc) layout, [N][C/B][H][W][B] with B a
/// vector's lanes and the channels padded to a multiple of B, and inserts the reorders between
/// layouts. Convolutions write blocked outputs; pooling, activations, same-shape Add/Mul,
/// channel concatenation and global pooling keep the blocked layout of their inputs; every
/// other operator, and every graph output, sees plain NCHW.
struct BlockedLayout {
    /// A layer to run, with the index of the graph layer it came from (nil for a reorder).
    struct Step {
        var layer: Layer
        var source: Int?
    }

    /// Channels per block.
    let lanes: Int
    /// Values stored blocked.
    private(set) var blocked: Set<String> = []
    private(set) var steps: [Step] = []
    /// The plain value holding each graph output.
    private(set) var outputSources: [String] = []

    /// Input channels up to which a convolution reads a plain input directly (a first layer on
    /// a gray or colour image) rather than a blocked copy.
    static let plainInputChannels = 4

    /// How a convolution runs and which layout its input must have.
    enum ConvMethod: Equatable {
        /// Direct convolution on the blocked layout; `blockedInput` false reads a plain input.
        case direct(blockedInput: Bool)
        /// Depthwise (one filter per channel) on the blocked layout.
        case depthwise
        /// Grouped convolution (more groups than `directGroupLimit`) as an im2col GEMM per group, plain in and out.
        case gemm
    }

    /// Grouped convolutions with up to this many groups run as one direct convolution over all
    /// input channels, with weights that are zero outside each output channel's group: `groups`
    /// times the multiply-adds, but at the direct tile's speed (about 3x the GEMM's).
    static let directGroupLimit = 2

    static func method(of conv: ConvLayer) -> ConvMethod {
        if conv.channelsPerGroup == 1 && conv.outputChannels == conv.groups && conv.groups > 1 { return .depthwise }
        if conv.groups <= directGroupLimit {
            return .direct(blockedInput: conv.channelsPerGroup * conv.groups > plainInputChannels)
        }
        return .gemm
    }

    /// For a 4-D Add or Mul of a full [N, C, H, W] tensor and a [N or 1, C, 1, 1] one, the index
    /// (0 or 1) of the per-channel operand; nil otherwise.
    static func perChannelOperand(of a: [Int]?, _ b: [Int]?) -> Int? {
        guard let a, let b, a.count == 4, b.count == 4, a[1] == b[1] else { return nil }
        func isPerChannel(_ small: [Int], of full: [Int]) -> Bool {
            (small[0] == full[0] || small[0] == 1) && small[2] == 1 && small[3] == 1 && full[2] * full[3] > 1
        }
        if isPerChannel(b, of: a) { return 1 }
        if isPerChannel(a, of: b) { return 0 }
        return nil
    }

    init(graph: OptimizedGraph, shapes: [String: [Int]], lanes: Int) {
        self.lanes = lanes
        var reordered: Set<String> = []  // "name>blocked" and "name>plain" values made so far
        func value(_ name: String, blocked wantBlocked: Bool) -> String {
            if blocked.contains(name) == wantBlocked { return name }
            let key = name + (wantBlocked ? ">blocked" : ">plain")
            guard reordered.insert(key).inserted else { return key }
            let label = wantBlocked ? "reorder to blocked" : "reorder to NCHW"
            steps.append(Step(layer: Layer(label: "\(label) \"\(name)\"", kind: .reorder(toBlocked: wantBlocked), inputs: [name], output: key),
                              source: nil))
            if wantBlocked { blocked.insert(key) }
            return key
        }
        func isRank4(_ name: String) -> Bool { shapes[name]?.count == 4 }

        for (index, original) in graph.layers.enumerated() {
            var layer = original
            let inputs = layer.inputs
            var outputBlocked = false
            switch layer.kind {
            case .conv(let conv):
                switch Self.method(of: conv) {
                case .direct(let blockedInput):
                    layer.inputs[0] = value(inputs[0], blocked: blockedInput)
                    if conv.hasResidual { layer.inputs[1] = value(inputs[1], blocked: true) }
                    outputBlocked = true
                case .depthwise:
                    layer.inputs = inputs.map { value($0, blocked: true) }
                    outputBlocked = true
                case .gemm:
                    layer.inputs = inputs.map { value($0, blocked: false) }
                }
            case .pool, .activation, .channelAffine, .globalAveragePool:
                outputBlocked = blocked.contains(inputs[0]) && isRank4(inputs[0])
            case .add, .mul:
                // Same-shape 4-D operands combine lane by lane in either layout; a [N or 1, C, 1, 1]
                // operand (a squeeze-and-excitation gate) is one vector per block.
                let shapesMatch = shapes[inputs[0]] == shapes[inputs[1]] || Self.perChannelOperand(of: shapes[inputs[0]], shapes[inputs[1]]) != nil
                outputBlocked = shapesMatch && isRank4(inputs[0]) && isRank4(inputs[1]) && inputs.contains { blocked.contains($0) }
                layer.inputs = inputs.map { value($0, blocked: outputBlocked) }
            case .concat(let axis):
                // Channel blocks concatenate as whole blocks when no input has padding lanes.
                outputBlocked = (axis == 1 || axis == -3) && inputs.allSatisfy { isRank4($0) && shapes[$0]![1] % lanes == 0 }
                    && inputs.contains { blocked.contains($0) }
                layer.inputs = inputs.map { value($0, blocked: outputBlocked) }
            default:
                break
            }
            if !outputBlocked { layer.inputs = layer.inputs.map { value($0, blocked: false) } }
            if outputBlocked { blocked.insert(layer.output) }
            steps.append(Step(layer: layer, source: index))
        }
        outputSources = graph.outputSources.map { value($0, blocked: false) }
    }
}
