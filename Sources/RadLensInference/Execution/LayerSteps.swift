import RadLensKernels

/// Planner pass 4, step building for every operator family but convolution
/// (`ConvolutionSteps.swift`): each layer becomes a closure over its buffers and shapes.
extension ExecutionPlan {

    func step(index: Int?, layer: Layer, weights: PreparedWeights, kernels: any KernelSet.Type,
                      scratch: UnsafeMutablePointer<Float>, threads: Int) throws(InferenceError) -> (ThreadPool) -> Void {
        let x = shapes[layer.inputs[0]]!
        let y = shapes[layer.output]!
        let input = UnsafePointer(pointers[layer.inputs[0]]!)
        let output = pointers[layer.output]!
        let blocked = layout.blocked.contains(layer.output)
        let lanes = layout.lanes
        switch layer.kind {
        case .conv(let conv):
            return convStep(conv, weights.convs[index!]!, index: index!, weights: weights, x: x, y: y, input: input, output: output,
                            residual: conv.hasResidual ? UnsafePointer(pointers[layer.inputs[1]]!) : nil,
                            inputStorage: paddedOutputs[layer.inputs[0]],
                            residualStorage: conv.hasResidual ? paddedOutputs[layer.inputs[1]] : nil, outputPadding: paddedOutputs[layer.output],
                            kernels: kernels, scratch: scratch, threads: threads)
        case .reorder(let toBlocked):
            let plane = x.dropFirst(2).reduce(1, *)
            return { _ in
                if toBlocked {
                    BlockedOps.toBlocked(input, output, batch: x[0], channels: x[1], plane: plane, lanes: lanes)
                } else {
                    BlockedOps.toPlain(input, output, batch: x[0], channels: x[1], plane: plane, lanes: lanes)
                }
            }
        case .dense(let dense):
            let prepared = weights.denses[index!]!
            let rows = x.reduce(1, *) / dense.depth
            flops += 2 * rows * dense.depth * dense.outputs
            let chunk = max(1, (dense.outputs + threads - 1) / threads)
            let chunks = dense.depth * dense.outputs > 1 << 16 ? (dense.outputs + chunk - 1) / chunk : 1
            return { pool in
                pool.parallelFor(rows * chunks) { task, _ in
                    let row = task / chunks, part = task % chunks
                    let start = chunks == 1 ? 0 : part * chunk
                    let end = chunks == 1 ? dense.outputs : min(dense.outputs, start + chunk)
                    kernels.dense(input + row * dense.depth, weights: prepared.weights, bias: prepared.bias, inputCount: dense.depth,
                                  outputStart: start, outputEnd: end, activation: dense.activation, output: output + row * dense.outputs)
                }
            }
        case .matMul:
            let b = shapes[layer.inputs[1]]!
            let other = UnsafePointer(pointers[layer.inputs[1]]!)
            let m = x[x.count - 2], k = x[x.count - 1], n = b[b.count - 1]
            let batch = x.dropLast(2).reduce(1, *)
            flops += 2 * batch * m * k * n
            return { _ in
                TensorOps.matMul(input, other, output, batch: batch, m: m, k: k, n: n, aBatchStride: m * k,
                                 bBatchStride: b.count == 2 ? 0 : k * n)
            }
        case .channelAffine(_, _, let activation):
            let (scale, shift) = weights.affines[index!]!
            let plane = x.dropFirst(2).reduce(1, *)
            if blocked {
                let blocks = (x[1] + lanes - 1) / lanes
                return { pool in
                    Self.parallelPlanes(x[0] * blocks, planeFloats: plane * lanes, pool: pool) { range in
                        kernels.channelAffineBlocked(input, output, planeStart: range.lowerBound, planeEnd: range.upperBound, blocks: blocks,
                                                     planeSize: plane, scale: scale, shift: shift, activation: activation)
                    }
                }
            }
            return { _ in
                Elementwise.channelAffine(input, output, batch: x[0], channels: x[1], plane: plane, scale: scale, shift: shift, activation)
            }
        case .activation(let activation):
            let count = storedCount(layer.output)
            return { pool in
                Self.parallelRanges(count, minimum: Self.minimumFloatsPerTask, pool: pool) { range in
                    kernels.activate(input + range.lowerBound, output + range.lowerBound, count: range.count, activation: activation)
                }
            }
        case .add, .mul:
            let b = shapes[layer.inputs[1]]!
            let other = UnsafePointer(pointers[layer.inputs[1]]!)
            let multiply: Bool = { if case .mul = layer.kind { return true } else { return false } }()
            if blocked, let small = BlockedLayout.perChannelOperand(of: x, b) {
                let full = small == 1 ? input : other, gate = small == 1 ? other : input
                let fullShape = small == 1 ? x : b, perImage = (small == 1 ? b : x)[0] > 1
                let blocks = (fullShape[1] + lanes - 1) / lanes, plane = fullShape[2] * fullShape[3]
                return { pool in
                    Self.parallelPlanes(fullShape[0] * blocks, planeFloats: plane * lanes, pool: pool) { range in
                        kernels.binaryPerChannelBlocked(full, gate: gate, output, planeStart: range.lowerBound, planeEnd: range.upperBound,
                                                        blocks: blocks, plane: plane, perImage: perImage, multiply: multiply)
                    }
                }
            }
            if blocked {  // Same shapes, same layout: lane by lane over the stored floats.
                let count = storedCount(layer.output)
                return { pool in
                    Self.parallelRanges(count, minimum: Self.minimumFloatsPerTask, pool: pool) { range in
                        let start = range.lowerBound
                        Elementwise.sameShape(input + start, other + start, output + start, count: range.count, multiply: multiply)
                    }
                }
            }
            return { _ in Elementwise.binary(input, x, other, b, output, y, multiply: multiply) }
        case .pool(let pool):
            let yAxis = SpatialAxis.resolve(input: x[2], kernel: pool.kernel.height, stride: pool.strides.y, dilation: pool.dilations.y,
                                            padBegin: pool.pads[0], padEnd: pool.pads[2], autoPad: pool.autoPad, ceilMode: pool.ceilMode)!
            let xAxis = SpatialAxis.resolve(input: x[3], kernel: pool.kernel.width, stride: pool.strides.x, dilation: pool.dilations.x,
                                            padBegin: pool.pads[1], padEnd: pool.pads[3], autoPad: pool.autoPad, ceilMode: pool.ceilMode)!
            let window = Pooling.Window(kernelHeight: pool.kernel.height, kernelWidth: pool.kernel.width, strideY: pool.strides.y,
                                        strideX: pool.strides.x, padTop: yAxis.padBegin, padLeft: xAxis.padBegin,
                                        padBottom: yAxis.padEnd, padRight: xAxis.padEnd,
                                        dilationY: pool.dilations.y, dilationX: pool.dilations.x)
            let isMax = pool.mode == .max
            if blocked {
                // Tasks: whole planes when there are enough of them, else bands of rows.
                let planes = x[0] * ((x[1] + lanes - 1) / lanes)
                let bands = planes >= 2 * threads ? 1 : min(y[2], (2 * threads + planes - 1) / planes)
                let rowsPerBand = (y[2] + bands - 1) / bands
                let out = BlockedView(output, storage: paddedOutputs[layer.output], blocks: (y[1] + lanes - 1) / lanes, height: y[2],
                                      width: y[3], lanes: lanes)
                return { threadPool in
                    threadPool.parallelFor(planes * bands) { task, _ in
                        let plane = task / bands, rowStart = task % bands * rowsPerBand
                        guard rowStart < y[2] else { return }
                        kernels.poolBlocked(input + plane * x[2] * x[3] * lanes, out.origin + plane * out.blockStride, height: x[2],
                                            width: x[3], outputHeight: y[2], outputWidth: y[3], outputRowStride: out.rowStride,
                                            rowStart: rowStart, rowEnd: min(y[2], rowStart + rowsPerBand), window: window, max: isMax,
                                            countIncludePad: pool.countIncludePad)
                    }
                }
            }
            let planes = x[0] * x[1]
            return { threadPool in
                let chunk = max(1, (planes + threadPool.threadCount - 1) / threadPool.threadCount)
                threadPool.parallelFor((planes + chunk - 1) / chunk) { task, _ in
                    let start = task * chunk, count = min(chunk, planes - start)
                    if isMax && window.dilationY == 1 && window.dilationX == 1 {
                        Pooling.maxSeparable(input + start * x[2] * x[3], output + start * y[2] * y[3], planes: count, height: x[2],
                                             width: x[3], outputHeight: y[2], outputWidth: y[3], window: window)
                    } else {
                        Pooling.pool(input + start * x[2] * x[3], output + start * y[2] * y[3], planes: count, height: x[2], width: x[3],
                                     outputHeight: y[2], outputWidth: y[3], window: window, max: isMax,
                                     countIncludePad: pool.countIncludePad)
                    }
                }
            }
        case .globalAveragePool:
            let size = x.dropFirst(2).reduce(1, *)
            if blocked {
                let planes = x[0] * ((x[1] + lanes - 1) / lanes)
                return { pool in
                    Self.parallelPlanes(planes, planeFloats: size * lanes, pool: pool) { range in
                        kernels.globalAverageBlocked(input + range.lowerBound * size * lanes, output + range.lowerBound * lanes,
                                                     planes: range.count, planeSize: size)
                    }
                }
            }
            let planes = x[0] * x[1]
            return { _ in Pooling.globalAverage(input, output, planes: planes, planeSize: size) }
        case .reshape:
            return { _ in }  // The output aliases the input's buffer.
        case .concat(let axis):
            let a = axis < 0 ? axis + x.count : axis
            let outer = x[..<a].reduce(1, *)
            // Blocked inputs have whole blocks only, so each image's channels are one contiguous run too.
            let parts = layer.inputs.map { name in
                (pointer: UnsafePointer(pointers[name]!), inner: blocked ? storedCount(name) / outer : shapes[name]![a...].reduce(1, *))
            }
            // The copies, one per image and input, cut into pieces of at least the minimum task.
            var copies: [(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int)] = []
            var offset = 0
            let piece = max(Self.minimumFloatsPerTask, parts.reduce(0) { $0 + $1.inner } * outer / (2 * threads))
            for o in 0..<outer {
                for part in parts {
                    var start = 0
                    while start < part.inner {
                        let count = min(piece, part.inner - start)
                        copies.append((part.pointer + o * part.inner + start, output + offset + start, count))
                        start += count
                    }
                    offset += part.inner
                }
            }
            return { [copies] pool in
                pool.parallelFor(copies.count) { task, _ in
                    let copy = copies[task]
                    copy.to.update(from: copy.from, count: copy.count)
                }
            }
        case .softmax(let axis, let coerce):
            let a = axis < 0 ? axis + x.count : axis
            let outer = x[..<a].reduce(1, *)
            let length = coerce ? x[a...].reduce(1, *) : x[a]
            let inner = coerce ? 1 : x[(a + 1)...].reduce(1, *)
            return { _ in TensorOps.softmax(input, output, outer: outer, length: length, inner: inner) }
        case .pad(let pads, let value):
            return { _ in TensorOps.pad(input, shape: x, pads: pads, value: value, output, outputShape: y) }
        case .reduceMean(let axes, _):
            let normalized = try ShapeInference.normalizedAxes(axes, rank: x.count, layer: layer)
            return { _ in TensorOps.reduceMean(input, shape: x, axes: normalized, output) }
        }
    }
}
