import RadLensKernels

/// Max and average pooling over the spatial axes of NCHW tensors.
enum Pooling {
    typealias Window = PoolWindow

    /// Max pooling without dilation, separably: the max over the window's rows first (whole rows at
    /// once, vectorised), then over its columns on that one row. Same result as `pool`, several
    /// times faster on the 3x3 stride-2 stems of ResNets.
    static func maxSeparable(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int,
                             height: Int, width: Int, outputHeight: Int, outputWidth: Int, window w: Window) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { buffer in
            let rowMax = buffer.baseAddress!
            for plane in 0..<planes {
                let source = input + plane * height * width
                let destination = output + plane * outputHeight * outputWidth
                for oy in 0..<outputHeight {
                    let y0 = oy * w.strideY - w.padTop
                    let first = max(y0, 0), last = min(y0 + w.kernelHeight, height)
                    guard first < last else {
                        (destination + oy * outputWidth).update(repeating: -.infinity, count: outputWidth)
                        continue
                    }
                    rowMax.update(from: source + first * width, count: width)
                    for y in (first + 1)..<max(first + 1, last) {
                        let row = source + y * width
                        var x = 0
                        while x + 8 <= width {
                            let a = UnsafeRawPointer(rowMax + x).loadUnaligned(as: SIMD8<Float>.self)
                            let b = UnsafeRawPointer(row + x).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(rowMax + x).storeBytes(of: a.replacing(with: b, where: a .< b), as: SIMD8<Float>.self)
                            x += 8
                        }
                        while x < width {
                            rowMax[x] = Swift.max(rowMax[x], row[x])
                            x += 1
                        }
                    }
                    let out = destination + oy * outputWidth
                    for ox in 0..<outputWidth {
                        let x0 = ox * w.strideX - w.padLeft
                        var best = -Float.infinity
                        for x in Swift.max(x0, 0)..<Swift.max(Swift.max(x0, 0), Swift.min(x0 + w.kernelWidth, width)) {
                            best = Swift.max(best, rowMax[x])
                        }
                        out[ox] = best
                    }
                }
            }
        }
    }

    /// Pools every [H, W] plane of `planes` planes.
    static func pool(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int,
                     height: Int, width: Int, outputHeight: Int, outputWidth: Int, window w: Window,
                     max isMax: Bool, countIncludePad: Bool) {
        for plane in 0..<planes {
            let source = input + plane * height * width
            let destination = output + plane * outputHeight * outputWidth
            for oy in 0..<outputHeight {
                let y0 = oy * w.strideY - w.padTop
                for ox in 0..<outputWidth {
                    let x0 = ox * w.strideX - w.padLeft
                    var best = -Float.infinity, sum: Float = 0, valid = 0
                    for ky in 0..<w.kernelHeight {
                        let y = y0 + ky * w.dilationY
                        if y < 0 || y >= height { continue }
                        for kx in 0..<w.kernelWidth {
                            let x = x0 + kx * w.dilationX
                            if x < 0 || x >= width { continue }
                            let v = source[y * width + x]
                            best = max(best, v)
                            sum += v
                            valid += 1
                        }
                    }
                    if isMax {
                        destination[oy * outputWidth + ox] = best
                    } else {
                        var divisor = valid
                        if countIncludePad {
                            // Window clipped to the padded input, as PyTorch and ONNX Runtime count it.
                            let yEnd = min(y0 + w.kernelHeight, height + w.padBottom)
                            let xEnd = min(x0 + w.kernelWidth, width + w.padRight)
                            divisor = (yEnd - y0) * (xEnd - x0)
                        }
                        destination[oy * outputWidth + ox] = divisor > 0 ? sum / Float(divisor) : 0
                    }
                }
            }
        }
    }

    /// Mean of each plane.
    static func globalAverage(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int, planeSize: Int) {
        for plane in 0..<planes {
            let source = input + plane * planeSize
            var sum: Float = 0
            for i in 0..<planeSize { sum += source[i] }
            output[plane] = sum / Float(planeSize)
        }
    }
}
