import RadLensKernels

/// Weights laid out once, at load, for the chosen kernel set.
struct PreparedConv: @unchecked Sendable {
    var method: BlockedLayout.ConvMethod
    /// Direct: one buffer packed by `packDirectWeights`. Depthwise: one [C/B][kh x kw][B].
    /// GEMM: one packed buffer per group.
    var weights: [UnsafePointer<Float>]
    /// One per output channel; direct and depthwise pad it with zeros to whole blocks.
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
                convs[index] = prepare(conv, kernels: kernels)
            case .dense(let dense):
                denses[index] = PreparedDense(weights: arena.copy(dense.weights), bias: dense.bias.map { UnsafePointer(arena.copy($0)) })
            case .channelAffine(let scale, let shift, _):
                affines[index] = (UnsafePointer(copy(scale, roundedTo: kernels.blockChannels)),
                                  UnsafePointer(copy(shift, roundedTo: kernels.blockChannels)))
            default:
                break
            }
        }
        for (name, tensor) in graph.constants { constants[name] = UnsafePointer(arena.copy(tensor.data)) }
    }

    /// `values` followed by zeros up to a multiple of `lanes`, so blocked operators can read whole blocks.
    private func copy(_ values: [Float], roundedTo lanes: Int) -> UnsafeMutablePointer<Float> {
        let pointer = arena.allocate((values.count + lanes - 1) / lanes * lanes)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: $0.count) }
        return pointer
    }

    private func prepare(_ conv: ConvLayer, kernels: any KernelSet.Type) -> PreparedConv {
        let lanes = kernels.blockChannels
        let taps = conv.kernel.height * conv.kernel.width
        let blockedBias = copy(conv.bias, roundedTo: lanes)
        let method = BlockedLayout.method(of: conv)
        return conv.weights.withUnsafeBufferPointer { buffer in
            let weights = buffer.baseAddress!
            switch method {
            case .direct(let blockedInput):
                let channels = blockedInput ? (conv.channelsPerGroup + lanes - 1) / lanes * lanes : conv.channelsPerGroup
                let packed = arena.allocate(kernels.packedDirectWeightCount(outputChannels: conv.outputChannels, depth: channels * taps))
                kernels.packDirectWeights(weights, outputChannels: conv.outputChannels, inputChannels: conv.channelsPerGroup, taps: taps,
                                          blockedInput: blockedInput, into: packed)
                return PreparedConv(method: method, weights: [packed], bias: blockedBias)
            case .depthwise:
                let packed = arena.allocate((conv.outputChannels + lanes - 1) / lanes * lanes * taps)
                for channel in 0..<conv.outputChannels {
                    for tap in 0..<taps {
                        packed[(channel / lanes * taps + tap) * lanes + channel % lanes] = weights[channel * taps + tap]
                    }
                }
                return PreparedConv(method: method, weights: [packed], bias: blockedBias)
            case .gemm:
                let rowsPerGroup = conv.outputChannels / conv.groups
                let depth = conv.channelsPerGroup * taps
                let packed = (0..<conv.groups).map { group in
                    let destination = arena.allocate(kernels.packedWeightCount(rows: rowsPerGroup, depth: depth))
                    kernels.packWeights(weights + group * rowsPerGroup * depth, rows: rowsPerGroup, depth: depth, into: destination)
                    return UnsafePointer(destination)
                }
                return PreparedConv(method: method, weights: packed, bias: blockedBias)
            }
        }
    }
}
