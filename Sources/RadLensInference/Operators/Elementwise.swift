import RadLensKernels

/// Elementwise operators on plain float buffers: per-channel affine, broadcasting Add/Mul
/// (activations run as a kernel: `KernelSet.activate`).
enum Elementwise {
    /// y[n, c, ...] = act(x[n, c, ...] * scale[c] + shift[c]).
    static func channelAffine(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                              plane: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, _ activation: Activation) {
        for n in 0..<batch {
            for c in 0..<channels {
                let base = (n * channels + c) * plane
                let a = scale[c], b = shift[c]
                for i in 0..<plane { output[base + i] = activation.apply(input[base + i] * a + b) }
            }
        }
    }

    /// NumPy broadcasting of two shapes, or nil when they do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for (x, y) in zip(pa, pb) {
            if x == y || y == 1 { result.append(x) } else if x == 1 { result.append(y) } else { return nil }
        }
        return result
    }

    /// Row-major strides of `shape` aligned to `rank`, with 0 where a dimension broadcasts.
    static func broadcastStrides(_ shape: [Int], rank: Int) -> [Int] {
        let padded = Array(repeating: 1, count: rank - shape.count) + shape
        var strides = [Int](repeating: 0, count: rank)
        var step = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : step
            step *= padded[axis]
        }
        return strides
    }

    /// a + b or a * b over `count` floats of two tensors of the same shape (and layout).
    static func sameShape(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int,
                          multiply: Bool) {
        if multiply { for i in 0..<count { output[i] = a[i] * b[i] } } else { for i in 0..<count { output[i] = a[i] + b[i] } }
    }

    /// out = a (op) b with broadcasting; `multiply` selects Mul over Add.
    static func binary(_ a: UnsafePointer<Float>, _ aShape: [Int], _ b: UnsafePointer<Float>, _ bShape: [Int],
                       _ output: UnsafeMutablePointer<Float>, _ outputShape: [Int], multiply: Bool) {
        let count = outputShape.reduce(1, *)
        if aShape == bShape { return sameShape(a, b, output, count: count, multiply: multiply) }
        let rank = outputShape.count
        let sa = broadcastStrides(aShape, rank: rank), sb = broadcastStrides(bShape, rank: rank)
        let inner = rank == 0 ? 1 : outputShape[rank - 1]
        let innerA = rank == 0 ? 0 : sa[rank - 1], innerB = rank == 0 ? 0 : sb[rank - 1]
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var offset = 0
        while offset < count {
            var oa = 0, ob = 0
            for axis in 0..<index.count {
                oa += index[axis] * sa[axis]
                ob += index[axis] * sb[axis]
            }
            let pa = a + oa, pb = b + ob, po = output + offset
            if multiply {
                for i in 0..<inner { po[i] = pa[i * innerA] * pb[i * innerB] }
            } else {
                for i in 0..<inner { po[i] = pa[i * innerA] + pb[i * innerB] }
            }
            offset += inner
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outputShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
