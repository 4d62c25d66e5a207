// Pooling, global pooling, per-channel affine and per-channel gates on the blocked (NCHWc)
// layout: one vector holds one pixel's channel block, so every operation is a vector
// operation. Compiled per instruction-set level like Kernels.swift (symlinked).
import RadLensKernels

extension Kernels {
    public static func poolBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, height: Int, width: Int,
                                   outputHeight: Int, outputWidth: Int, outputRowStride: Int, rowStart: Int, rowEnd: Int,
                                   window w: PoolWindow, max isMax: Bool, countIncludePad: Bool) {
        let lanes = Vector.scalarCount
        // Output columns whose window lies wholly inside the input run without bounds checks.
        let lastTap = (w.kernelWidth - 1) * w.dilationX
        let interiorStart = min(outputWidth, (w.padLeft + w.strideX - 1) / w.strideX)
        let interiorEnd = max(interiorStart, min(outputWidth, (width - 1 - lastTap + w.padLeft) / w.strideX + 1))
        let undilated = w.dilationY == 1 && w.dilationX == 1
        for oy in rowStart..<rowEnd {
            let y0 = oy * w.strideY - w.padTop
            let destination = output + oy * outputRowStride
            guard y0 >= 0 && y0 + (w.kernelHeight - 1) * w.dilationY < height else {
                for ox in 0..<outputWidth {
                    poolBorderPixel(input, destination + ox * lanes, height: height, width: width, y0: y0,
                                    x0: ox * w.strideX - w.padLeft, window: w, max: isMax, countIncludePad: countIncludePad)
                }
                continue
            }
            for ox in 0..<outputWidth where ox < interiorStart || ox >= interiorEnd {
                poolBorderPixel(input, destination + ox * lanes, height: height, width: width, y0: y0,
                                x0: ox * w.strideX - w.padLeft, window: w, max: isMax, countIncludePad: countIncludePad)
            }
            let source = input + (y0 * width + interiorStart * w.strideX - w.padLeft) * lanes
            let target = destination + interiorStart * lanes, count = interiorEnd - interiorStart
            // The common windows get constant sizes, so their loops unroll.
            switch (w.kernelHeight, w.kernelWidth) {
            case (2, 2) where undilated:
                poolInteriorRow(source, target, count: count, kernelHeight: 2, kernelWidth: 2, dilationY: 1, dilationX: 1,
                                width: width, strideX: w.strideX, max: isMax)
            case (3, 3) where undilated:
                poolInteriorRow(source, target, count: count, kernelHeight: 3, kernelWidth: 3, dilationY: 1, dilationX: 1,
                                width: width, strideX: w.strideX, max: isMax)
            default:
                poolInteriorRow(source, target, count: count, kernelHeight: w.kernelHeight, kernelWidth: w.kernelWidth,
                                dilationY: w.dilationY, dilationX: w.dilationX, width: width, strideX: w.strideX, max: isMax)
            }
        }
    }

    /// `count` output pixels of one row whose windows lie wholly inside the input; `input` is
    /// the first window's top-left pixel.
    @inline(__always)
    static func poolInteriorRow(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int, kernelHeight: Int,
                                kernelWidth: Int, dilationY: Int, dilationX: Int, width: Int, strideX: Int, max isMax: Bool) {
        let lanes = Vector.scalarCount
        let scale = 1 / Float(kernelHeight * kernelWidth)
        for ox in 0..<count {
            let corner = input + ox * strideX * lanes
            var accumulator = load(corner)
            for ky in 0..<kernelHeight {
                let row = corner + ky * dilationY * width * lanes
                for kx in 0..<kernelWidth where ky > 0 || kx > 0 {
                    let pixel = load(row + kx * dilationX * lanes)
                    accumulator = isMax ? maximum(accumulator, pixel) : accumulator + pixel
                }
            }
            storeVector(isMax ? accumulator : accumulator * scale, output + ox * lanes)
        }
    }

    /// One output pixel whose window reaches past the input: only the taps inside count.
    static func poolBorderPixel(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, height: Int, width: Int, y0: Int,
                                x0: Int, window w: PoolWindow, max isMax: Bool, countIncludePad: Bool) {
        let lanes = Vector.scalarCount
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
        storeVector(accumulator, output)
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
