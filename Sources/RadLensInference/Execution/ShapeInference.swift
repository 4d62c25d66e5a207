import RadLensKernels

/// Planner pass 1, shape inference: every value's shape from the input shapes, layer by layer,
/// with an error naming the layer where shapes do not fit.
enum ShapeInference {
    /// The shape of every graph input, constant and layer output.
    static func shapes(of graph: OptimizedGraph, inputShapes: [String: [Int]]) throws(InferenceError) -> [String: [Int]] {
        var shapes = inputShapes
        for (name, tensor) in graph.constants { shapes[name] = tensor.shape }
        for layer in graph.layers { shapes[layer.output] = try outputShape(of: layer, shapes: shapes) }
        return shapes
    }

    static func outputShape(of layer: Layer, shapes: [String: [Int]]) throws(InferenceError) -> [Int] {
        func shape(_ index: Int) throws(InferenceError) -> [Int] {
            guard let shape = shapes[layer.inputs[index]] else {
                throw InferenceError(.invalidModel, "\(layer.label): input \"\(layer.inputs[index])\" has no known shape")
            }
            return shape
        }
        func mismatch(_ message: String) -> InferenceError { InferenceError(.shapeMismatch, "\(layer.label): \(message)") }
        let x = try shape(0)
        switch layer.kind {
        case .conv(let conv):
            guard x.count == 4 else { throw mismatch("expects a 4-D NCHW input, got \(x)") }
            guard x[1] == conv.channelsPerGroup * conv.groups else {
                throw mismatch("input has \(x[1]) channels, the weights expect \(conv.channelsPerGroup * conv.groups)")
            }
            guard let y = SpatialAxis.resolve(input: x[2], kernel: conv.kernel.height, stride: conv.strides.y, dilation: conv.dilations.y,
                                              padBegin: conv.pads[0], padEnd: conv.pads[2], autoPad: conv.autoPad),
                  let xAxis = SpatialAxis.resolve(input: x[3], kernel: conv.kernel.width, stride: conv.strides.x, dilation: conv.dilations.x,
                                                  padBegin: conv.pads[1], padEnd: conv.pads[3], autoPad: conv.autoPad)
            else { throw mismatch("the \(conv.kernel.height)x\(conv.kernel.width) kernel does not fit the \(x[2])x\(x[3]) input") }
            let output = [x[0], conv.outputChannels, y.output, xAxis.output]
            if conv.hasResidual, try shape(1) != output {
                throw mismatch("residual input \(try shape(1)) differs from the output \(output)")
            }
            return output
        case .dense(let dense):
            guard let last = x.last, last == dense.depth else {
                throw mismatch("input \(x) does not end in \(dense.depth) features")
            }
            return Array(x.dropLast()) + [dense.outputs]
        case .matMul:
            let b = try shape(1)
            guard x.count >= 2, b.count >= 2, x[x.count - 1] == b[b.count - 2] else { throw mismatch("cannot multiply \(x) by \(b)") }
            guard b.count == 2 || Array(b.dropLast(2)) == Array(x.dropLast(2)) else {
                throw mismatch("batch dimensions of \(x) and \(b) differ")
            }
            return Array(x.dropLast()) + [b[b.count - 1]]
        case .channelAffine(let scale, _, _):
            guard x.count >= 2, x[1] == scale.count else { throw mismatch("input \(x) does not have \(scale.count) channels") }
            return x
        case .activation, .softmax, .reorder:
            return x
        case .add, .mul:
            let b = try shape(1)
            guard let result = Elementwise.broadcastShape(x, b) else { throw mismatch("shapes \(x) and \(b) do not broadcast") }
            return result
        case .pool(let pool):
            guard x.count == 4 else { throw mismatch("expects a 4-D NCHW input, got \(x)") }
            guard let y = SpatialAxis.resolve(input: x[2], kernel: pool.kernel.height, stride: pool.strides.y, dilation: pool.dilations.y,
                                              padBegin: pool.pads[0], padEnd: pool.pads[2], autoPad: pool.autoPad, ceilMode: pool.ceilMode),
                  let xAxis = SpatialAxis.resolve(input: x[3], kernel: pool.kernel.width, stride: pool.strides.x, dilation: pool.dilations.x,
                                                  padBegin: pool.pads[1], padEnd: pool.pads[3], autoPad: pool.autoPad, ceilMode: pool.ceilMode)
            else { throw mismatch("the pooling window does not fit the \(x[2])x\(x[3]) input") }
            return [x[0], x[1], y.output, xAxis.output]
        case .globalAveragePool:
            guard x.count >= 3 else { throw mismatch("expects an N, C, spatial... input, got \(x)") }
            return [x[0], x[1]] + Array(repeating: 1, count: x.count - 2)
        case .reshape(.flatten(let axis)):
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0, a <= x.count else { throw mismatch("flatten axis \(axis) is out of range for \(x)") }
            return [x[..<a].reduce(1, *), x[a...].reduce(1, *)]
        case .reshape(.shape(let target)):
            var result = target.enumerated().map { index, dim in dim == 0 && index < x.count ? x[index] : dim }
            let known = result.filter { $0 != -1 }.reduce(1, *)
            let total = x.reduce(1, *)
            if let inferred = result.firstIndex(of: -1) {
                guard result.filter({ $0 == -1 }).count == 1, known > 0, total % known == 0 else {
                    throw mismatch("cannot reshape \(x) to \(target)")
                }
                result[inferred] = total / known
            }
            guard result.allSatisfy({ $0 >= 0 }), result.reduce(1, *) == total else { throw mismatch("cannot reshape \(x) to \(target)") }
            return result
        case .concat(let axis):
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0, a < x.count else { throw mismatch("concat axis \(axis) is out of range for \(x)") }
            var result = x
            result[a] = 0
            for index in layer.inputs.indices {
                let s = try shape(index)
                guard s.count == x.count, (0..<s.count).allSatisfy({ $0 == a || s[$0] == x[$0] }) else {
                    throw mismatch("inputs \(x) and \(s) differ outside axis \(a)")
                }
                result[a] += s[a]
            }
            return result
        case .pad(let pads, _):
            guard pads.count == 2 * x.count else { throw mismatch("\(pads.count) pads for a rank-\(x.count) input") }
            let result = (0..<x.count).map { x[$0] + pads[$0] + pads[$0 + x.count] }
            guard result.allSatisfy({ $0 > 0 }) else { throw mismatch("pads \(pads) leave nothing of \(x)") }
            return result
        case .reduceMean(let axes, let keepDims):
            let normalized = try normalizedAxes(axes, rank: x.count, layer: layer)
            return keepDims ? x.enumerated().map { normalized.contains($0.offset) ? 1 : $0.element }
                : x.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        }
    }

    static func normalizedAxes(_ axes: [Int]?, rank: Int, layer: Layer) throws(InferenceError) -> Set<Int> {
        guard let axes else { return Set(0..<rank) }
        var result = Set<Int>()
        for axis in axes {
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0, a < rank else { throw InferenceError(.shapeMismatch, "\(layer.label): axis \(axis) is out of range for rank \(rank)") }
            result.insert(a)
        }
        return result
    }
}
