// Winograd F(4x4, 3x3) and F(2x2, 3x3) transforms on the blocked (NCHWc) layout, compiled per
// instruction-set level like Kernels.swift (symlinked). A 3x3 stride-1 convolution becomes:
// input transform (each 6x6 input tile to 36 values per channel), 36 independent channel
// reductions (run by the direct-convolution tile, with tiles as pixels), and an output
// transform (36 values to a 4x4 output tile per channel). That is 36 multiplies per 16 outputs
// instead of 144; the transforms are vector additions across a channel block. F(2x2, 3x3) is
// the same with 4x4 input tiles, 16 reductions and 2x2 output tiles: 16 multiplies per 4
// outputs instead of 36, with transformed weights 16/9 rather than 4 times the original's.
import RadLensKernels

extension Kernels {
    /// Transforms the input tiles [tileStart, tileEnd) of one image: 6x6 for F(4x4) (here),
    /// 4x4 for F(2x2) (`winogradInput2x2`). `input` is blocked and zero-padded so that every
    /// tile lies inside it; tile t starts at row (t / tilesX) x m, column (t % tilesX) x m.
    /// Writes `transformed[xi][t - tileStart][channel]`, with `blocks` x B (the padded channel
    /// count) floats per tile.
    public static func winogradInput(_ input: UnsafePointer<Float>, outputTile: Int, blocks: Int, blockStride: Int, rowStride: Int,
                                     tilesX: Int, tileStart: Int, tileEnd: Int, transformed: UnsafeMutablePointer<Float>) {
        if outputTile == 2 {
            return winogradInput2x2(input, blocks: blocks, blockStride: blockStride, rowStride: rowStride, tilesX: tilesX,
                                    tileStart: tileStart, tileEnd: tileEnd, transformed: transformed)
        }
        let lanes = Vector.scalarCount
        let channels = blocks * lanes
        let xiStride = (tileEnd - tileStart) * channels
        withUnsafeTemporaryAllocation(of: Vector.self, capacity: 36) { scratch in
            let t = scratch.baseAddress!
            for tile in tileStart..<tileEnd {
                let origin = (tile / tilesX * 4) * rowStride + (tile % tilesX * 4) * lanes
                for block in 0..<blocks {
                    let base = input + block * blockStride + origin
                    // Columns: t[i][j] = (B^T d)[i][j] for each column j.
                    for j in 0..<6 {
                        let p = base + j * lanes
                        let d0 = load(p), d1 = load(p + rowStride), d2 = load(p + 2 * rowStride)
                        let d3 = load(p + 3 * rowStride), d4 = load(p + 4 * rowStride), d5 = load(p + 5 * rowStride)
                        let r = transformB(d0, d1, d2, d3, d4, d5)
                        t[j] = r.0; t[6 + j] = r.1; t[12 + j] = r.2; t[18 + j] = r.3; t[24 + j] = r.4; t[30 + j] = r.5
                    }
                    // Rows: v[i][j] = (t B)[i][j].
                    let out = transformed + (tile - tileStart) * channels + block * lanes
                    for i in 0..<6 {
                        let row = t + 6 * i
                        let r = transformB(row[0], row[1], row[2], row[3], row[4], row[5])
                        storeVector(r.0, out + (6 * i) * xiStride)
                        storeVector(r.1, out + (6 * i + 1) * xiStride)
                        storeVector(r.2, out + (6 * i + 2) * xiStride)
                        storeVector(r.3, out + (6 * i + 3) * xiStride)
                        storeVector(r.4, out + (6 * i + 4) * xiStride)
                        storeVector(r.5, out + (6 * i + 5) * xiStride)
                    }
                }
            }
        }
    }

    /// B^T applied to six values.
    @inline(__always)
    static func transformB(_ d0: Vector, _ d1: Vector, _ d2: Vector, _ d3: Vector, _ d4: Vector, _ d5: Vector)
        -> (Vector, Vector, Vector, Vector, Vector, Vector) {
        let four: Float = 4, five: Float = 5, two: Float = 2
        let r0 = four * d0 - five * d2 + d4
        let a = d4 - four * d2, b = d3 - four * d1   // r1 = a + b, r2 = a - b
        let c = d4 - d2, e = two * (d3 - d1)          // r3 = c + e, r4 = c - e
        let r5 = four * d1 - five * d3 + d5
        return (r0, a + b, a - b, c + e, c - e, r5)
    }

    /// Transforms the reduced values of tiles [tileStart, tileEnd) and output channel blocks
    /// [blockStart, blockEnd) of one image back to m x m output tiles (F(2x2) in
    /// `winogradOutput2x2`), adds bias and residual,
    /// applies the activation and stores the pixels inside the output. `reduced` is
    /// [xi][block - blockStart][tile - tileStart][B].
    public static func winogradOutput(_ reduced: UnsafePointer<Float>, outputTile: Int, tileStart: Int, tileEnd: Int, tilesX: Int,
                                      blockStart: Int, blockEnd: Int, _ op: DirectConvOperands) {
        if outputTile == 2 {
            return winogradOutput2x2(reduced, tileStart: tileStart, tileEnd: tileEnd, tilesX: tilesX, blockStart: blockStart,
                                     blockEnd: blockEnd, op)
        }
        let lanes = Vector.scalarCount
        let tiles = tileEnd - tileStart
        let xiStride = (blockEnd - blockStart) * tiles * lanes
        let height = op.outputHeight, width = op.outputWidth
        withUnsafeTemporaryAllocation(of: Vector.self, capacity: 24) { scratch in
            let t = scratch.baseAddress!
            for block in blockStart..<blockEnd {
                let bias = load(op.bias + block * lanes)
                let blockOutput = block * op.outputBlockStride, blockResidual = block * op.residualBlockStride
                for tile in tileStart..<tileEnd {
                    let m = reduced + ((block - blockStart) * tiles + tile - tileStart) * lanes
                    // Columns: t[i][j] = (A^T m)[i][j], i in 0..<4.
                    for j in 0..<6 {
                        let p = m + j * xiStride
                        let r = transformA(load(p), load(p + 6 * xiStride), load(p + 12 * xiStride), load(p + 18 * xiStride),
                                           load(p + 24 * xiStride), load(p + 30 * xiStride))
                        t[j] = r.0; t[6 + j] = r.1; t[12 + j] = r.2; t[18 + j] = r.3
                    }
                    let y0 = tile / tilesX * 4, x0 = tile % tilesX * 4
                    for i in 0..<4 where y0 + i < height {
                        let row = t + 6 * i
                        let r = transformA(row[0], row[1], row[2], row[3], row[4], row[5])
                        for j in 0..<4 where x0 + j < width {
                            let offset = blockOutput + (y0 + i) * op.outputRowStride + (x0 + j) * lanes
                            var value = bias + (j == 0 ? r.0 : j == 1 ? r.1 : j == 2 ? r.2 : r.3)
                            if let residual = op.residual {
                                value += load(residual + blockResidual + (y0 + i) * op.residualRowStride + (x0 + j) * lanes)
                            }
                            storeVector(activate(value, op.activation), op.output + offset)
                        }
                    }
                }
            }
        }
    }

    /// A^T applied to six values.
    @inline(__always)
    static func transformA(_ m0: Vector, _ m1: Vector, _ m2: Vector, _ m3: Vector, _ m4: Vector, _ m5: Vector)
        -> (Vector, Vector, Vector, Vector) {
        let two: Float = 2, four: Float = 4, eight: Float = 8
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
        return (m0 + a + c, b + two * d, a + four * c, b + eight * d + m5)
    }

    // MARK: - F(2x2, 3x3)

    /// The 4x4 input tile of tile t starts at row (t / tilesX) x 2, column (t % tilesX) x 2;
    /// writes `transformed[xi][t - tileStart][channel]` for the 16 points xi = 4i + j.
    static func winogradInput2x2(_ input: UnsafePointer<Float>, blocks: Int, blockStride: Int, rowStride: Int, tilesX: Int,
                                 tileStart: Int, tileEnd: Int, transformed: UnsafeMutablePointer<Float>) {
        let lanes = Vector.scalarCount
        let channels = blocks * lanes
        let xiStride = (tileEnd - tileStart) * channels
        for tile in tileStart..<tileEnd {
            let origin = (tile / tilesX * 2) * rowStride + (tile % tilesX * 2) * lanes
            for block in 0..<blocks {
                let base = input + block * blockStride + origin
                let out = transformed + (tile - tileStart) * channels + block * lanes
                // Columns first (B^T d per column), then rows, all in registers.
                let c0 = transformB2(load(base), load(base + rowStride), load(base + 2 * rowStride), load(base + 3 * rowStride))
                let p1 = base + lanes, p2 = base + 2 * lanes, p3 = base + 3 * lanes
                let c1 = transformB2(load(p1), load(p1 + rowStride), load(p1 + 2 * rowStride), load(p1 + 3 * rowStride))
                let c2 = transformB2(load(p2), load(p2 + rowStride), load(p2 + 2 * rowStride), load(p2 + 3 * rowStride))
                let c3 = transformB2(load(p3), load(p3 + rowStride), load(p3 + 2 * rowStride), load(p3 + 3 * rowStride))
                var t = transformB2(c0.0, c1.0, c2.0, c3.0)
                storeVector(t.0, out); storeVector(t.1, out + xiStride)
                storeVector(t.2, out + 2 * xiStride); storeVector(t.3, out + 3 * xiStride)
                t = transformB2(c0.1, c1.1, c2.1, c3.1)
                storeVector(t.0, out + 4 * xiStride); storeVector(t.1, out + 5 * xiStride)
                storeVector(t.2, out + 6 * xiStride); storeVector(t.3, out + 7 * xiStride)
                t = transformB2(c0.2, c1.2, c2.2, c3.2)
                storeVector(t.0, out + 8 * xiStride); storeVector(t.1, out + 9 * xiStride)
                storeVector(t.2, out + 10 * xiStride); storeVector(t.3, out + 11 * xiStride)
                t = transformB2(c0.3, c1.3, c2.3, c3.3)
                storeVector(t.0, out + 12 * xiStride); storeVector(t.1, out + 13 * xiStride)
                storeVector(t.2, out + 14 * xiStride); storeVector(t.3, out + 15 * xiStride)
            }
        }
    }

    /// F(2x2, 3x3)'s B^T applied to four values.
    @inline(__always)
    static func transformB2(_ d0: Vector, _ d1: Vector, _ d2: Vector, _ d3: Vector) -> (Vector, Vector, Vector, Vector) {
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// `reduced` is [xi][block - blockStart][tile - tileStart][B] for the 16 points xi = 4i + j.
    static func winogradOutput2x2(_ reduced: UnsafePointer<Float>, tileStart: Int, tileEnd: Int, tilesX: Int,
                                  blockStart: Int, blockEnd: Int, _ op: DirectConvOperands) {
        let lanes = Vector.scalarCount
        let tiles = tileEnd - tileStart
        let xiStride = (blockEnd - blockStart) * tiles * lanes
        let height = op.outputHeight, width = op.outputWidth
        for block in blockStart..<blockEnd {
            let bias = load(op.bias + block * lanes)
            let blockOutput = block * op.outputBlockStride, blockResidual = block * op.residualBlockStride
            for tile in tileStart..<tileEnd {
                let m = reduced + ((block - blockStart) * tiles + tile - tileStart) * lanes
                // Columns: A^T m for each column j, then rows.
                let c0 = transformA2(load(m), load(m + 4 * xiStride), load(m + 8 * xiStride), load(m + 12 * xiStride))
                let c1 = transformA2(load(m + xiStride), load(m + 5 * xiStride), load(m + 9 * xiStride), load(m + 13 * xiStride))
                let c2 = transformA2(load(m + 2 * xiStride), load(m + 6 * xiStride), load(m + 10 * xiStride), load(m + 14 * xiStride))
                let c3 = transformA2(load(m + 3 * xiStride), load(m + 7 * xiStride), load(m + 11 * xiStride), load(m + 15 * xiStride))
                let row0 = transformA2(c0.0, c1.0, c2.0, c3.0), row1 = transformA2(c0.1, c1.1, c2.1, c3.1)
                let y0 = tile / tilesX * 2, x0 = tile % tilesX * 2
                for i in 0..<2 where y0 + i < height {
                    let row = i == 0 ? row0 : row1
                    for j in 0..<2 where x0 + j < width {
                        let offset = blockOutput + (y0 + i) * op.outputRowStride + (x0 + j) * lanes
                        var value = bias + (j == 0 ? row.0 : row.1)
                        if let residual = op.residual {
                            value += load(residual + blockResidual + (y0 + i) * op.residualRowStride + (x0 + j) * lanes)
                        }
                        storeVector(activate(value, op.activation), op.output + offset)
                    }
                }
            }
        }
    }

    /// F(2x2, 3x3)'s A^T applied to four values.
    @inline(__always)
    static func transformA2(_ m0: Vector, _ m1: Vector, _ m2: Vector, _ m3: Vector) -> (Vector, Vector) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }
}
