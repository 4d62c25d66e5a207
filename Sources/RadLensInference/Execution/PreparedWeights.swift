import Dispatch
import Foundation
import RadLensKernels

/// Weights laid out once, at load, for the chosen kernel set.
struct PreparedConv: @unchecked Sendable {
    var method: BlockedLayout.ConvMethod
    /// Direct: one buffer packed by `packDirectWeights`. Depthwise: one [C/B][kh x kw][B].
    /// GEMM: one packed buffer per group.
    var weights: [UnsafePointer<Float>]
    /// One per output channel; direct and depthwise pad it with zeros to whole blocks.
    var bias: UnsafePointer<Float>
    /// With `Precision.fast`, a 3x3 stride-1 convolution that may run as Winograd (see
    /// `PreparedWeights.winograd`).
    var winogradCandidate = false
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
    /// Winograd-transformed weights by layer index and output tile, made when a plan first needs them.
    private var winogradWeights: [Int: [Int: [UnsafePointer<Float>]]] = [:]
    private let winogradLock = NSLock()
    /// Zeros, as the bias of Winograd's intermediate reductions (at least any layer's padded channel count).
    private(set) var zeros: UnsafePointer<Float>
    private let kernels: any KernelSet.Type
    /// The mapped cache file the convolutions' buffers point into, kept as long as the weights.
    let cacheFile: MappedPackedWeights?
    /// True when the convolutions' packed weights came from a `PackedWeightCache` file.
    var usesCachedWeights: Bool { cacheFile != nil }

    /// Packs every convolution's weights; with `cached` (a `PackedWeightCache` file and its
    /// buffers per convolution, from `cachedConvolutions`), convolutions use those instead.
    init(graph: OptimizedGraph, kernels: any KernelSet.Type, precision: Precision,
         cached: (file: MappedPackedWeights, convolutions: [[UnsafeBufferPointer<Float>]])? = nil) {
        self.kernels = kernels
        cacheFile = cached?.file
        var widest = 0
        for layer in graph.layers { if case .conv(let conv) = layer.kind { widest = max(widest, conv.outputChannels) } }
        zeros = UnsafePointer(arena.allocate(widest + kernels.blockChannels))
        // Convolutions hold nearly all the weights: they are packed on every core (a cold
        // start's largest step after reading the model).
        let convolutions = graph.layers.enumerated().compactMap { index, layer -> (Int, ConvLayer)? in
            if case .conv(let conv) = layer.kind { return (index, conv) }
            return nil
        }
        nonisolated(unsafe) var prepared = [PreparedConv?](repeating: nil, count: convolutions.count)
        if let cached {
            for (i, packed) in cached.convolutions.enumerated() {
                let conv = convolutions[i].1
                prepared[i] = PreparedConv(method: BlockedLayout.method(of: conv), weights: packed.map { UnsafePointer($0.baseAddress!) },
                                           bias: copy(conv.bias, roundedTo: kernels.blockChannels))
            }
        } else {
            prepared.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                DispatchQueue.concurrentPerform(iterations: convolutions.count) { i in
                    slots[i] = prepare(convolutions[i].1, kernels: kernels)
                }
            }
        }
        for ((index, conv), packed) in zip(convolutions, prepared) {
            convs[index] = packed!
            convs[index]!.winogradCandidate = precision == .fast && Self.isWinogradCandidate(conv)
        }
        for (index, layer) in graph.layers.enumerated() {
            switch layer.kind {
            case .conv:
                break
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

    /// The float count of each buffer `prepare` packs for `conv`: one, or one per GEMM group.
    static func packedCounts(of conv: ConvLayer, kernels: any KernelSet.Type) -> [Int] {
        let lanes = kernels.blockChannels, taps = conv.kernel.height * conv.kernel.width
        switch BlockedLayout.method(of: conv) {
        case .direct:
            return [kernels.packedDirectWeightCount(outputChannels: conv.outputChannels, depth: conv.channelsPerGroup * conv.groups * taps)]
        case .depthwise:
            return [(conv.outputChannels + lanes - 1) / lanes * lanes * taps]
        case .gemm:
            let count = kernels.packedWeightCount(rows: conv.outputChannels / conv.groups, depth: conv.channelsPerGroup * taps)
            return Array(repeating: count, count: conv.groups)
        }
    }

    /// `file`'s buffers grouped per convolution of `graph`, in layer order; nil unless their
    /// number and sizes are exactly what `prepare` would pack.
    static func cachedConvolutions(_ file: MappedPackedWeights, graph: OptimizedGraph, kernels: any KernelSet.Type) -> [[UnsafeBufferPointer<Float>]]? {
        var next = 0, grouped: [[UnsafeBufferPointer<Float>]] = []
        for layer in graph.layers {
            guard case .conv(let conv) = layer.kind else { continue }
            let counts = packedCounts(of: conv, kernels: kernels)
            guard next + counts.count <= file.buffers.count,
                  zip(file.buffers[next...], counts).allSatisfy({ $0.count == $1 }) else { return nil }
            grouped.append(Array(file.buffers[next..<next + counts.count]))
            next += counts.count
        }
        return next == file.buffers.count ? grouped : nil
    }

    /// Every convolution's packed buffers, in layer order: what a `PackedWeightCache` file holds.
    func packedConvolutionBuffers(of graph: OptimizedGraph) -> [UnsafeBufferPointer<Float>] {
        graph.layers.indices.flatMap { index -> [UnsafeBufferPointer<Float>] in
            guard case .conv(let conv) = graph.layers[index].kind, let prepared = convs[index] else { return [] }
            return zip(prepared.weights, Self.packedCounts(of: conv, kernels: kernels)).map { UnsafeBufferPointer(start: $0, count: $1) }
        }
    }

    /// A 3x3, stride-1, undilated, ungrouped convolution on a blocked input.
    static func isWinogradCandidate(_ conv: ConvLayer) -> Bool {
        conv.groups == 1 && conv.kernel == (3, 3) && conv.strides == (1, 1) && conv.dilations == (1, 1)
            && BlockedLayout.method(of: conv) == .direct(blockedInput: true)
    }

    /// The Winograd F(m x m, 3x3) weights of graph layer `index`, m = `outputTile` (4 or 2),
    /// transformed on first use (under a lock: sessions sharing these weights plan on their own threads).
    func winograd(_ conv: ConvLayer, index: Int, outputTile: Int) -> [UnsafePointer<Float>] {
        winogradLock.withLock {
            if let existing = winogradWeights[index]?[outputTile] { return existing }
            let transformed = transformWinograd(conv, outputTile: outputTile)
            winogradWeights[index, default: [:]][outputTile] = transformed
            return transformed
        }
    }

    /// F(4x4, 3x3)'s G, 6x3, row-major.
    static let winogradG4x4: [Double] = [1.0 / 4, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
                                         1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1]
    /// F(2x2, 3x3)'s G, 4x3, row-major.
    static let winogradG2x2: [Double] = [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]

    /// U = G g G^T for every output and input channel (in double precision), packed per
    /// transform point xi = (m+2) i + j as the weights of a 1x1 convolution over the padded channels.
    private func transformWinograd(_ conv: ConvLayer, outputTile: Int) -> [UnsafePointer<Float>] {
        let g = outputTile == 4 ? Self.winogradG4x4 : Self.winogradG2x2
        let alpha = outputTile + 2, points = alpha * alpha
        let outputs = conv.outputChannels, inputs = conv.channelsPerGroup
        let pointCount = outputs * inputs
        // transformed[xi][m][c]: plain loops, no allocation per filter.
        var transformed = [Float](repeating: 0, count: points * pointCount)
        var t = [Double](repeating: 0, count: alpha * 3)
        conv.weights.withUnsafeBufferPointer { w in
            for m in 0..<outputs {
                for c in 0..<inputs {
                    let filter = (m * inputs + c) * 9
                    // t = G w (alpha x 3), then U = t G^T (alpha x alpha).
                    for i in 0..<alpha {
                        for col in 0..<3 {
                            t[i * 3 + col] = g[i * 3] * Double(w[filter + col]) + g[i * 3 + 1] * Double(w[filter + 3 + col])
                                + g[i * 3 + 2] * Double(w[filter + 6 + col])
                        }
                    }
                    for i in 0..<alpha {
                        for j in 0..<alpha {
                            let u = t[i * 3] * g[j * 3] + t[i * 3 + 1] * g[j * 3 + 1] + t[i * 3 + 2] * g[j * 3 + 2]
                            transformed[(alpha * i + j) * pointCount + m * inputs + c] = Float(u)
                        }
                    }
                }
            }
        }
        return transformed.withUnsafeBufferPointer { u in
            (0..<points).map { xi in
                let packed = arena.allocate(kernels.packedDirectWeightCount(outputChannels: outputs, depth: inputs))
                kernels.packDirectWeights(u.baseAddress! + xi * pointCount, outputChannels: outputs, inputChannels: inputs, taps: 1,
                                          blockedInput: false, into: packed)
                return UnsafePointer(packed)
            }
        }
    }

    /// A grouped convolution's weights as an ungrouped one's, [output][all input channels][taps],
    /// zero outside each output channel's group.
    static func denseWeights(of conv: ConvLayer) -> [Float] {
        let taps = conv.kernel.height * conv.kernel.width
        let inputChannels = conv.channelsPerGroup * conv.groups, outputsPerGroup = conv.outputChannels / conv.groups
        var dense = [Float](repeating: 0, count: conv.outputChannels * inputChannels * taps)
        for output in 0..<conv.outputChannels {
            let firstChannel = output / outputsPerGroup * conv.channelsPerGroup
            for channel in 0..<conv.channelsPerGroup {
                for tap in 0..<taps {
                    dense[(output * inputChannels + firstChannel + channel) * taps + tap] =
                        conv.weights[(output * conv.channelsPerGroup + channel) * taps + tap]
                }
            }
        }
        return dense
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
        let counts = Self.packedCounts(of: conv, kernels: kernels)
        return conv.weights.withUnsafeBufferPointer { buffer in
            let weights = buffer.baseAddress!
            switch method {
            case .direct(let blockedInput):
                let inputChannels = conv.channelsPerGroup * conv.groups
                let dense = conv.groups == 1 ? conv.weights : Self.denseWeights(of: conv)
                let packed = arena.allocate(counts[0])
                kernels.packDirectWeights(dense, outputChannels: conv.outputChannels, inputChannels: inputChannels, taps: taps,
                                          blockedInput: blockedInput, into: packed)
                return PreparedConv(method: method, weights: [packed], bias: blockedBias)
            case .depthwise:
                let packed = arena.allocate(counts[0])
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
                    let destination = arena.allocate(counts[group])
                    kernels.packWeights(weights + group * rowsPerGroup * depth, rows: rowsPerGroup, depth: depth, into: destination)
                    return UnsafePointer(destination)
                }
                return PreparedConv(method: method, weights: packed, bias: blockedBias)
            }
        }
    }
}
