// Pooling, global pooling, per-channel affine and per-channel gates on the blocked (NCHWc)
// layout: one vector holds one pixel's channel block, so every operation is a vector
// operation. Compiled per instruction-set level like Kernels.swift (symlinked).
import RadLensKernels

extension Kernels {
    public static func poolBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, height: Int, width: Int,
                                   outputHeight: Int, outputWidth: Int, rowStart: Int, rowEnd: Int, window w: PoolWindow,
                                   max isMax: Bool, countIncludePad: Bool) {
        let lanes = Vector.scalarCount
        // Output columns whose window lies wholly inside the input run without bounds checks.
        let lastTap = (w.kernelWidth - 1) * w.dilationX
        let interiorStart = min(outputWidth, (w.padLeft + w.strideX - 1) / w.strideX)
        let interiorEnd = max(interiorStart, min(outputWidth, (width - 1 - lastTap + w.padLeft) / w.strideX + 1))
        let twoByTwo = w.kernelHeight == 2 && w.kernelWidth == 2 && w.dilationY == 1 && w.dilationX == 1
        for oy in rowStart..<rowEnd {
            let y0 = oy * w.strideY - w.padTop
            let rowInside = y0 >= 0 && y0 + (w.kernelHeight - 1) * w.dilationY < height
            let destination = output + oy * outputWidth * lanes
            for ox in 0..<outputWidth {
                let x0 = ox * w.strideX - w.padLeft
                if rowInside && ox >= interiorStart && ox < interiorEnd && twoByTwo {
                    // The common 2x2 window (MaxPool2d(2)), unrolled.
                    let top = input + (y0 * width + x0) * lanes, bottom = top + width * lanes
                    let result = isMax
                        ? maximum(maximum(load(top), load(top + lanes)), maximum(load(bottom), load(bottom + lanes)))
                        : (load(top) + load(top + lanes) + load(bottom) + load(bottom + lanes)) * 0.25
                    storeVector(result, destination + ox * lanes)
                    continue
                }
                if rowInside && ox >= interiorStart && ox < interiorEnd {
                    var accumulator = load(input + (y0 * width + x0) * lanes)
                    for ky in 0..<w.kernelHeight {
                        let row = input + ((y0 + ky * w.dilationY) * width + x0) * lanes
                        for kx in 0..<w.kernelWidth where ky > 0 || kx > 0 {
                            let pixel = load(row + kx * w.dilationX * lanes)
                            accumulator = isMax ? maximum(accumulator, pixel) : accumulator + pixel
                        }
                    }
                    if !isMax { accumulator *= 1 / Float(w.kernelHeight * w.kernelWidth) }
                    storeVector(accumulator, destination + ox * lanes)
                    continue
                }
                var accumulator = Vector(repeating: isMax ? -.infinity : 0)
                var valid = 0
                for ky in 0..<w.kernelHeight {
                    let y = y0 + ky * w.dilationY
                    if y < 0 || y >= height { continue }
                    for kx in 0..<w.kernelWidth {
                        let x = x0 + kx * w.dilationX
                        if x < 0 || x >= width { continue }
                        let pixel = load(input + (y * width + x) * lanes)
                        accumulator = isMax ? maximum(accumulator, pixel) : accumulator + pixel
                        valid += 1
                    }
                }
                if !isMax {
                    var divisor = valid
                    if countIncludePad {
                        // The window clipped to the padded input, as PyTorch and ONNX Runtime count it.
                        let yEnd = min(y0 + w.kernelHeight, height + w.padBottom)
                        let xEnd = min(x0 + w.kernelWidth, width + w.padRight)
                        divisor = (yEnd - y0) * (xEnd - x0)
                    }
                    accumulator *= divisor > 0 ? 1 / Float(divisor) : 0
                }
                storeVector(accumulator, destination + ox * lanes)
            }
        }
    }

    public static func globalAverageBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int,
                                            planeSize: Int) {
        let lanes = Vector.scalarCount
        for plane in 0..<planes {
            let source = input + plane * planeSize * lanes
            var sum = Vector()
            for i in 0..<planeSize { sum += load(source + i * lanes) }
            storeVector(sum * (1 / Float(planeSize)), output + plane * lanes)
        }
    }

    public static func channelAffineBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planeStart: Int,
                                            planeEnd: Int, blocks: Int, planeSize: Int, scale: UnsafePointer<Float>,
                                            shift: UnsafePointer<Float>, activation: Activation) {
        let lanes = Vector.scalarCount
        for plane in planeStart..<planeEnd {
            let block = plane % blocks
            let a = load(scale + block * lanes), b = load(shift + block * lanes)
            let base = plane * planeSize * lanes
            for i in 0..<planeSize {
                var x = b
                x.addProduct(load(input + base + i * lanes), a)
                storeVector(activate(x, activation), output + base + i * lanes)
            }
        }
    }

    public static func binaryPerChannelBlocked(_ x: UnsafePointer<Float>, gate: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                               planeStart: Int, planeEnd: Int, blocks: Int, plane: Int, perImage: Bool,
                                               multiply: Bool) {
        let lanes = Vector.scalarCount
        for index in planeStart..<planeEnd {
            // Plane `index` is block index % blocks of image index / blocks.
            let g = load(gate + (perImage ? index : index % blocks) * lanes)
            let base = index * plane * lanes
            for i in 0..<plane {
                let value = load(x + base + i * lanes)
                storeVector(multiply ? value * g : value + g, output + base + i * lanes)
            }
        }
    }
}
