import RadLensKernels

/// Weights laid out once, at load, for the chosen kernel set.
struct PreparedConv: @unchecked Sendable {
    enum Method { case gemm, depthwise }
    var method: Method
    /// Per group: packed weights (gemm) or raw [C, kh, kw] weights (depthwise).
    var weights: [UnsafePointer<Float>]
    var bias: UnsafePointer<Float>
}

struct PreparedDense: @unchecked Sendable {
    var weights: UnsafePointer<Float>
    var bias: UnsafePointer<Float>?
}

/// Everything a plan needs that does not depend on input shapes.
final class PreparedWeights: @unchecked Sendable {
    let arena = Arena()
    var convs: [Int: PreparedConv] = [:]
    var denses: [Int: PreparedDense] = [:]
    var affines: [Int: (scale: UnsafePointer<Float>, shift: UnsafePointer<Float>)] = [:]
    var constants: [String: UnsafePointer<Float>] = [:]

    init(graph: OptimizedGraph, kernels: any KernelSet.Type) {
        for (index, layer) in graph.layers.enumerated() {
            switch layer.kind {
            case .conv(let conv):
                let depthwise = conv.groups > 1 && conv.channelsPerGroup == 1 && conv.outputChannels == conv.groups
                if depthwise {
                    convs[index] = PreparedConv(method: .depthwise, weights: [arena.copy(conv.weights)], bias: arena.copy(conv.bias))
                } else {
                    let rowsPerGroup = conv.outputChannels / conv.groups
                    let depth = conv.channelsPerGroup * conv.kernel.height * conv.kernel.width
                    var packed: [UnsafePointer<Float>] = []
                    conv.weights.withUnsafeBufferPointer { weights in
                        for group in 0..<conv.groups {
                            let destination = arena.allocate(kernels.packedWeightCount(rows: rowsPerGroup, depth: depth))
                            kernels.packWeights(weights.baseAddress! + group * rowsPerGroup * depth, rows: rowsPerGroup,
                                                depth: depth, into: destination)
                            packed.append(destination)
                        }
                    }
                    convs[index] = PreparedConv(method: .gemm, weights: packed, bias: arena.copy(conv.bias))
                }
            case .dense(let dense):
                denses[index] = PreparedDense(weights: arena.copy(dense.weights), bias: dense.bias.map { UnsafePointer(arena.copy($0)) })
            case .channelAffine(let scale, let shift, _):
                affines[index] = (UnsafePointer(arena.copy(scale)), UnsafePointer(arena.copy(shift)))
            default:
                break
            }
        }
        for (name, tensor) in graph.constants { constants[name] = UnsafePointer(arena.copy(tensor.data)) }
    }
}
