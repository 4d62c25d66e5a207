import Glibc

/// Operators that move or reduce data along axes: Softmax, Pad, ReduceMean, MatMul (Concat is a
/// set of copies planned in `ExecutionPlan`).
enum TensorOps {
    /// Softmax over `length` elements for each of `outer` x `inner` positions.
    static func softmax(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, outer: Int, length: Int, inner: Int) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var peak = -Float.infinity
                for j in 0..<length { peak = max(peak, input[base + j * inner]) }
                var sum: Float = 0
                for j in 0..<length {
                    let e = expf(input[base + j * inner] - peak)
                    output[base + j * inner] = e
                    sum += e
                }
                for j in 0..<length { output[base + j * inner] /= sum }
            }
        }
    }

    /// Constant padding: `pads` holds the begin pads of every axis, then the end pads (may be negative: crop).
    static func pad(_ input: UnsafePointer<Float>, shape: [Int], pads: [Int], value: Float,
                    _ output: UnsafeMutablePointer<Float>, outputShape: [Int]) {
        let rank = shape.count
        let count = outputShape.reduce(1, *)
        output.update(repeating: value, count: count)
        let inputCount = shape.reduce(1, *)
        guard inputCount > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        let outStrides = strides(outputShape)
        for flat in 0..<inputCount {
            var remainder = flat
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                index[axis] = remainder % shape[axis]
                remainder /= shape[axis]
            }
            var target = 0, inside = true
            for axis in 0..<rank {
                let position = index[axis] + pads[axis]
                if position < 0 || position >= outputShape[axis] { inside = false; break }
                target += position * outStrides[axis]
            }
            if inside { output[target] = input[flat] }
        }
    }

    /// Mean over `axes` (already normalised, sorted); the output holds the reduced shape's elements.
    static func reduceMean(_ input: UnsafePointer<Float>, shape: [Int], axes: Set<Int>, _ output: UnsafeMutablePointer<Float>) {
        let rank = shape.count
        var outShape = shape
        for axis in axes { outShape[axis] = 1 }
        let outCount = outShape.reduce(1, *)
        output.update(repeating: 0, count: outCount)
        let outStrides = strides(outShape)
        let count = shape.reduce(1, *)
        var index = [Int](repeating: 0, count: rank)
        for flat in 0..<count {
            var target = 0
            for axis in 0..<rank where !axes.contains(axis) { target += index[axis] * outStrides[axis] }
            output[target] += input[flat]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        let reduced = Float(axes.reduce(1) { $0 * shape[$1] })
        for i in 0..<outCount { output[i] /= reduced }
    }

    /// Batched matrix product of runtime tensors: [batch, m, k] x [batch, k, n].
    static func matMul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                       batch: Int, m: Int, k: Int, n: Int, aBatchStride: Int, bBatchStride: Int) {
        for p in 0..<batch {
            let pa = a + p * aBatchStride, pb = b + p * bBatchStride, po = output + p * m * n
            for i in 0..<m {
                for j in 0..<n { po[i * n + j] = 0 }
                for l in 0..<k {
                    let x = pa[i * k + l]
                    for j in 0..<n { po[i * n + j] += x * pb[l * n + j] }
                }
            }
        }
    }

    static func strides(_ shape: [Int]) -> [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = step
            step *= shape[axis]
        }
        return result
    }
}
