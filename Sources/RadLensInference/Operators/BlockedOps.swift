import RadLensKernels

/// Operators on the blocked layout [N][C/B][H][W][B] (see `BlockedLayout`): reorders to and
/// from plain NCHW, pooling, global pooling and per-channel affine. `lanes` is B.
enum BlockedOps {
    /// Plain [N][C][plane] to blocked [N][ceil(C/B)][plane][B]; padding lanes become zero.
    static func toBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                          plane: Int, lanes: Int) {
        let blocks = (channels + lanes - 1) / lanes
        for n in 0..<batch {
            for block in 0..<blocks {
                let destination = output + (n * blocks + block) * plane * lanes
                for lane in 0..<lanes {
                    let channel = block * lanes + lane
                    if channel < channels {
                        let source = input + (n * channels + channel) * plane
                        for i in 0..<plane { destination[i * lanes + lane] = source[i] }
                    } else {
                        for i in 0..<plane { destination[i * lanes + lane] = 0 }
                    }
                }
            }
        }
    }

    /// Blocked to plain NCHW, dropping the padding lanes.
    static func toPlain(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                        plane: Int, lanes: Int) {
        let blocks = (channels + lanes - 1) / lanes
        for n in 0..<batch {
            for channel in 0..<channels {
                let source = input + (n * blocks + channel / lanes) * plane * lanes + channel % lanes
                let destination = output + (n * channels + channel) * plane
                for i in 0..<plane { destination[i] = source[i * lanes] }
            }
        }
    }

    /// Max or average pooling of `planes` blocked planes (N x C/B of them); same rules as `Pooling.pool`.
    static func pool(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int,
                     outputHeight: Int, outputWidth: Int, window w: Pooling.Window, max isMax: Bool, countIncludePad: Bool,
                     lanes: Int) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: lanes) { buffer in
            let accumulator = buffer.baseAddress!
            for plane in 0..<planes {
                let source = input + plane * height * width * lanes
                var destination = output + plane * outputHeight * outputWidth * lanes
                for oy in 0..<outputHeight {
                    let y0 = oy * w.strideY - w.padTop
                    for ox in 0..<outputWidth {
                        let x0 = ox * w.strideX - w.padLeft
                        accumulator.update(repeating: isMax ? -.infinity : 0, count: lanes)
                        var valid = 0
                        for ky in 0..<w.kernelHeight {
                            let y = y0 + ky * w.dilationY
                            if y < 0 || y >= height { continue }
                            for kx in 0..<w.kernelWidth {
                                let x = x0 + kx * w.dilationX
                                if x < 0 || x >= width { continue }
                                let pixel = source + (y * width + x) * lanes
                                if isMax {
                                    for lane in 0..<lanes { accumulator[lane] = Swift.max(accumulator[lane], pixel[lane]) }
                                } else {
                                    for lane in 0..<lanes { accumulator[lane] += pixel[lane] }
                                }
                                valid += 1
                            }
                        }
                        if isMax {
                            destination.update(from: accumulator, count: lanes)
                        } else {
                            var divisor = valid
                            if countIncludePad {
                                let yEnd = min(y0 + w.kernelHeight, height + w.padBottom)
                                let xEnd = min(x0 + w.kernelWidth, width + w.padRight)
                                divisor = (yEnd - y0) * (xEnd - x0)
                            }
                            let scale: Float = divisor > 0 ? 1 / Float(divisor) : 0
                            for lane in 0..<lanes { destination[lane] = accumulator[lane] * scale }
                        }
                        destination += lanes
                    }
                }
            }
        }
    }

    /// Mean over each blocked plane: [planes][planeSize][B] to [planes][B].
    static func globalAverage(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int, planeSize: Int,
                              lanes: Int) {
        let scale = 1 / Float(planeSize)
        for plane in 0..<planes {
            let source = input + plane * planeSize * lanes
            let destination = output + plane * lanes
            destination.update(repeating: 0, count: lanes)
            for i in 0..<planeSize {
                for lane in 0..<lanes { destination[lane] += source[i * lanes + lane] }
            }
            for lane in 0..<lanes { destination[lane] *= scale }
        }
    }

    /// y = act(x * scale + shift) per channel; `scale` and `shift` hold ceil(C/B) x B values.
    static func channelAffine(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int, blocks: Int,
                              planeSize: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, _ activation: Activation,
                              lanes: Int) {
        for plane in 0..<planes {
            let block = plane % blocks
            let a = scale + block * lanes, b = shift + block * lanes
            let base = plane * planeSize * lanes
            for i in 0..<planeSize {
                for lane in 0..<lanes {
                    output[base + i * lanes + lane] = activation.apply(input[base + i * lanes + lane] * a[lane] + b[lane])
                }
            }
        }
    }
}
