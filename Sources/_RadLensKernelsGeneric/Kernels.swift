// The microkernels, written once and compiled per instruction-set level: this file is the
// source of _RadLensKernelsGeneric and is linked (symlinked) into _RadLensKernelsAVX2 and
// _RadLensKernelsAVX512, whose `-target-cpu` flags and `Vector` width turn the same Swift
// SIMD code into SSE, AVX2+FMA or AVX-512 instructions. Each target's Level.swift sets
// `Vector` and `Kernels.name`.
import RadLensKernels

/// The kernel set of this instruction-set level.
public enum Kernels: KernelSet {
    /// Output channels per register tile: 16 with one vector of pixels, 8 with two.
    public static let tileRows = 16 / tileVectors
    /// Output pixels per register tile.
    public static let tileColumns = tileVectors * Vector.scalarCount
    /// Reduction depth per packed block (keeps one packed B micro-panel in L1).
    static let blockDepth = 128
    /// Output pixels per packed block (keeps the packed B block in L2).
    static let blockColumns = 8 * tileColumns

    public static var scratchCount: Int { blockDepth * blockColumns }

    public static func packedWeightCount(rows: Int, depth: Int) -> Int {
        (rows + tileRows - 1) / tileRows * tileRows * depth
    }

    public static func packWeights(_ weights: UnsafePointer<Float>, rows: Int, depth: Int,
                                   into packed: UnsafeMutablePointer<Float>) {
        let panels = (rows + tileRows - 1) / tileRows
        for panel in 0..<panels {
            let base = packed + panel * depth * tileRows
            for k in 0..<depth {
                for r in 0..<tileRows {
                    let row = panel * tileRows + r
                    base[k * tileRows + r] = row < rows ? weights[row * depth + k] : 0
                }
            }
        }
    }

    public static func convolve(_ g: ConvGeometry, _ op: ConvOperands, columnStart: Int, columnEnd: Int,
                                rowStart: Int, rowEnd: Int, scratch: UnsafeMutablePointer<Float>) {
        let depth = g.reductionLength
        let rows = rowEnd
        let ldc = g.outputPixels
        var n0 = columnStart
        while n0 < columnEnd {
            let nc = min(blockColumns, columnEnd - n0)
            var k0 = 0
            while k0 < depth {
                let kc = min(blockDepth, depth - k0)
                packColumns(g, op.input, k0: k0, kc: kc, n0: n0, nc: nc, into: scratch)
                let last = k0 + kc == depth
                var jr = 0
                while jr < nc {
                    let columns = min(tileColumns, nc - jr)
                    let b = scratch + jr * kc
                    var ir = rowStart
                    while ir < rows {
                        let a = op.packedWeights + ir * depth + k0 * tileRows
                        if tileVectors == 1 {
                            tile16x1(kc: kc, a: a, b: b, row: ir, rowCount: min(tileRows, rows - ir),
                                     column: n0 + jr, columnCount: columns, ldc: ldc, accumulate: k0 > 0,
                                     epilogue: last, operands: op)
                        } else {
                            tile(kc: kc, a: a, b: b, row: ir, rowCount: min(tileRows, rows - ir),
                                 column: n0 + jr, columnCount: columns, ldc: ldc, accumulate: k0 > 0,
                                 epilogue: last, operands: op)
                        }
                        ir += tileRows
                    }
                    jr += tileColumns
                }
                k0 += kc
            }
            n0 += nc
        }
    }

    /// Packs rows [k0, k0+kc) and columns [n0, n0+nc) of the implicit im2col matrix into panels of
    /// `tileColumns` columns: panel p holds, for each k, `tileColumns` consecutive floats. The
    /// input is already zero-padded (the engine pads into a copy first), so every tap of every
    /// output pixel reads inside it.
    @inline(__always)
    static func packColumns(_ g: ConvGeometry, _ input: UnsafePointer<Float>, k0: Int, kc: Int, n0: Int, nc: Int,
                            into packed: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth
        let plane = g.inputHeight * g.inputWidth
        let ow = g.outputWidth
        let rowStep = g.strideY * g.inputWidth
        let panelStride = kc * tileColumns
        for k in k0..<(k0 + kc) {
            let channel = k / taps, tap = k % taps
            let ky = tap / g.kernelWidth, kx = tap % g.kernelWidth
            // Walk the columns in runs that stay in one output row and one panel, tracking the
            // output position and panel incrementally (no divisions per run).
            var j = n0
            let end = n0 + nc
            var ox = n0 - (n0 / ow) * ow
            var rowSource = input + channel * plane + (n0 / ow * g.strideY + ky * g.dilationY) * g.inputWidth + kx * g.dilationX
            var panelBase = packed + (k - k0) * tileColumns, panelOffset = 0
            while j < end {
                let run = min(end - j, ow - ox, tileColumns - panelOffset)
                let destination = panelBase + panelOffset
                if g.strideX == 1 {
                    copy(rowSource + ox, to: destination, count: run)
                } else {
                    for i in 0..<run { destination[i] = rowSource[(ox + i) * g.strideX] }
                }
                j += run
                ox += run
                if ox == ow { ox = 0; rowSource += rowStep }
                panelOffset += run
                if panelOffset == tileColumns { panelOffset = 0; panelBase += panelStride }
            }
        }
    }

    /// Copies a short run inline: runs are at most one tile wide, too short for memcpy's call to pay.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let w = Vector.scalarCount
        var i = 0
        while i + w <= count {
            storeVector(load(source + i), destination + i)
            i += w
        }
        // Small feature maps give runs of 8 or 4: copy those as short vectors too.
        if i + 8 <= count {
            UnsafeMutableRawPointer(destination + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self),
                                                               as: SIMD8<Float>.self)
            i += 8
        }
        if i + 4 <= count {
            UnsafeMutableRawPointer(destination + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self),
                                                               as: SIMD4<Float>.self)
            i += 4
        }
        while i < count {
            destination[i] = source[i]
            i += 1
        }
    }

    /// One register tile of 16 output channels x 1 vector of pixels. Each broadcast weight is
    /// used once, so it folds into the FMA as an embedded-broadcast memory operand (AVX-512
    /// `{1to16}`) instead of a shuffle that would compete with the FMAs for a port.
    @inline(__always)
    static func tile16x1(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, row: Int, rowCount: Int,
                         column: Int, columnCount: Int, ldc: Int, accumulate: Bool, epilogue: Bool,
                         operands: ConvOperands) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        var c8 = Vector(), c9 = Vector(), c10 = Vector(), c11 = Vector(), c12 = Vector(), c13 = Vector(), c14 = Vector(), c15 = Vector()
        let w = Vector.scalarCount
        var ap = a, bp = b
        for _ in 0..<kc {
            let b0 = load(bp)
            c0.addProduct(Vector(repeating: ap[0]), b0)
            c1.addProduct(Vector(repeating: ap[1]), b0)
            c2.addProduct(Vector(repeating: ap[2]), b0)
            c3.addProduct(Vector(repeating: ap[3]), b0)
            c4.addProduct(Vector(repeating: ap[4]), b0)
            c5.addProduct(Vector(repeating: ap[5]), b0)
            c6.addProduct(Vector(repeating: ap[6]), b0)
            c7.addProduct(Vector(repeating: ap[7]), b0)
            c8.addProduct(Vector(repeating: ap[8]), b0)
            c9.addProduct(Vector(repeating: ap[9]), b0)
            c10.addProduct(Vector(repeating: ap[10]), b0)
            c11.addProduct(Vector(repeating: ap[11]), b0)
            c12.addProduct(Vector(repeating: ap[12]), b0)
            c13.addProduct(Vector(repeating: ap[13]), b0)
            c14.addProduct(Vector(repeating: ap[14]), b0)
            c15.addProduct(Vector(repeating: ap[15]), b0)
            ap += 16
            bp += w
        }
        withUnsafeTemporaryAllocation(of: Vector.self, capacity: 16) { buffer in
            buffer[0] = c0; buffer[1] = c1; buffer[2] = c2; buffer[3] = c3; buffer[4] = c4; buffer[5] = c5; buffer[6] = c6; buffer[7] = c7
            buffer[8] = c8; buffer[9] = c9; buffer[10] = c10; buffer[11] = c11; buffer[12] = c12; buffer[13] = c13; buffer[14] = c14; buffer[15] = c15
            if columnCount == w {
                for r in 0..<rowCount {
                    store(buffer[r], to: operands.output + (row + r) * ldc + column, row: row + r, column: column, ldc: ldc,
                          accumulate: accumulate, epilogue: epilogue, operands)
                }
                return
            }
            let values = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: Float.self)
            storePartial(values, rowStride: w, row: row, rowCount: rowCount, column: column, columnCount: columnCount, ldc: ldc,
                         accumulate: accumulate, epilogue: epilogue, operands)
        }
    }

    /// Stores the valid part of an edge tile held in `values` (row r at r x rowStride).
    static func storePartial(_ values: UnsafePointer<Float>, rowStride: Int, row: Int, rowCount: Int, column: Int, columnCount: Int,
                             ldc: Int, accumulate: Bool, epilogue: Bool, _ operands: ConvOperands) {
        for r in 0..<rowCount {
            let outputRow = operands.output + (row + r) * ldc + column
            let bias = operands.bias?[row + r] ?? 0
            for j in 0..<columnCount {
                var value = values[r * rowStride + j]
                if accumulate { value += outputRow[j] }
                if epilogue {
                    value += bias
                    if let residual = operands.residual { value += residual[(row + r) * ldc + column + j] }
                    value = operands.activation.apply(value)
                }
                outputRow[j] = value
            }
        }
    }

    /// Stores one vector of a tile row with the epilogue.
    @inline(__always)
    static func store(_ v: Vector, to c: UnsafeMutablePointer<Float>, row: Int, column: Int, ldc: Int,
                      accumulate: Bool, epilogue: Bool, _ op: ConvOperands) {
        var x = v
        if accumulate { x += load(c) }
        if epilogue {
            if let bias = op.bias { x += Vector(repeating: bias[row]) }
            if let residual = op.residual { x += load(residual + row * ldc + column) }
            x = activate(x, op.activation)
        }
        storeVector(x, c)
    }

    /// One register tile: 8 output channels x 2 vectors of output pixels, with the fused epilogue.
    @inline(__always)
    static func tile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, row: Int, rowCount: Int,
                     column: Int, columnCount: Int, ldc: Int, accumulate: Bool, epilogue: Bool,
                     operands: ConvOperands) {
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector(), c30 = Vector(), c31 = Vector()
        var c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
        var c60 = Vector(), c61 = Vector(), c70 = Vector(), c71 = Vector()
        let w = Vector.scalarCount
        var ap = a, bp = b
        for _ in 0..<kc {
            let b0 = load(bp), b1 = load(bp + w)
            var s = Vector(repeating: ap[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
            s = Vector(repeating: ap[1]); c10.addProduct(s, b0); c11.addProduct(s, b1)
            s = Vector(repeating: ap[2]); c20.addProduct(s, b0); c21.addProduct(s, b1)
            s = Vector(repeating: ap[3]); c30.addProduct(s, b0); c31.addProduct(s, b1)
            s = Vector(repeating: ap[4]); c40.addProduct(s, b0); c41.addProduct(s, b1)
            s = Vector(repeating: ap[5]); c50.addProduct(s, b0); c51.addProduct(s, b1)
            s = Vector(repeating: ap[6]); c60.addProduct(s, b0); c61.addProduct(s, b1)
            s = Vector(repeating: ap[7]); c70.addProduct(s, b0); c71.addProduct(s, b1)
            ap += 8
            bp += 2 * w
        }
        let full = rowCount == 8 && columnCount == 2 * w
        if full {
            let c = operands.output + row * ldc + column
            store(c00, c01, to: c, row: row, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c10, c11, to: c + ldc, row: row + 1, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c20, c21, to: c + 2 * ldc, row: row + 2, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c30, c31, to: c + 3 * ldc, row: row + 3, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c40, c41, to: c + 4 * ldc, row: row + 4, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c50, c51, to: c + 5 * ldc, row: row + 5, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c60, c61, to: c + 6 * ldc, row: row + 6, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            store(c70, c71, to: c + 7 * ldc, row: row + 7, column: column, ldc: ldc, accumulate: accumulate, epilogue: epilogue, operands)
            return
        }
        // An edge tile: spill to a small buffer and store only the valid part.
        withUnsafeTemporaryAllocation(of: Vector.self, capacity: 16) { buffer in
            buffer[0] = c00; buffer[1] = c01; buffer[2] = c10; buffer[3] = c11
            buffer[4] = c20; buffer[5] = c21; buffer[6] = c30; buffer[7] = c31
            buffer[8] = c40; buffer[9] = c41; buffer[10] = c50; buffer[11] = c51
            buffer[12] = c60; buffer[13] = c61; buffer[14] = c70; buffer[15] = c71
            let values = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: Float.self)
            storePartial(values, rowStride: 2 * w, row: row, rowCount: rowCount, column: column, columnCount: columnCount, ldc: ldc,
                         accumulate: accumulate, epilogue: epilogue, operands)
        }
    }

    @inline(__always)
    static func store(_ v0: Vector, _ v1: Vector, to c: UnsafeMutablePointer<Float>, row: Int, column: Int, ldc: Int,
                      accumulate: Bool, epilogue: Bool, _ op: ConvOperands) {
        let w = Vector.scalarCount
        var x0 = v0, x1 = v1
        if accumulate {
            x0 += load(c)
            x1 += load(c + w)
        }
        if epilogue {
            if let bias = op.bias {
                let b = Vector(repeating: bias[row])
                x0 += b
                x1 += b
            }
            if let residual = op.residual {
                let r = residual + row * ldc + column
                x0 += load(r)
                x1 += load(r + w)
            }
            x0 = activate(x0, op.activation)
            x1 = activate(x1, op.activation)
        }
        storeVector(x0, c)
        storeVector(x1, c + w)
    }

    @_transparent
    static func activate(_ x: Vector, _ activation: Activation) -> Vector {
        switch activation {
        case .none: return x
        case .relu: return maximum(x, Vector())
        case .clip(let low, let high): return minimum(maximum(x, Vector(repeating: low)), Vector(repeating: high))
        case .hardSwish:
            let gate = minimum(maximum(x * (1 / 6 as Float) + 0.5, Vector()), Vector(repeating: 1))
            return x * gate
        case .hardSigmoid(let alpha, let beta):
            return minimum(maximum(x * alpha + beta, Vector()), Vector(repeating: 1))
        case .sigmoid:
            return sigmoid(x)
        }
    }

    public static func dense(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             inputCount: Int, outputStart: Int, outputEnd: Int, activation: Activation,
                             output: UnsafeMutablePointer<Float>) {
        let w = Vector.scalarCount
        for j in outputStart..<outputEnd {
            let row = weights + j * inputCount
            var s0 = Vector(), s1 = Vector()
            var i = 0
            while i + 2 * w <= inputCount {
                s0.addProduct(load(x + i), load(row + i))
                s1.addProduct(load(x + i + w), load(row + i + w))
                i += 2 * w
            }
            var total = (s0 + s1).sum()
            while i < inputCount {
                total += x[i] * row[i]
                i += 1
            }
            output[j] = activation.apply(total + (bias?[j] ?? 0))
        }
    }

    /// Lane-wise max and min. The standard library's pointwiseMax/Min are not inlined and run
    /// lane by lane; a compare and select compiles to one vmaxps/vminps-like pair.
    @inline(__always)
    static func maximum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: a .< b) }

    @inline(__always)
    static func minimum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func storeVector(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }
}
