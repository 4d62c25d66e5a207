// Direct convolution on the blocked (NCHWc) layout, compiled per instruction-set level like
// Kernels.swift (this file is symlinked into the AVX2 and AVX-512 targets).
//
// A register tile holds F vectors of output channels for N output pixels of one row (or, at
// a border column, of one column). For each input channel of each tap it loads F weight
// vectors and broadcasts N input values: F x N FMAs per F + N loads, with nothing packed at
// run time. Tiles are specialised for every (F, N) by integer generic parameters; the level's
// `directTileShape` bounds them by its register count. Tiles at the border rows and columns
// skip the taps that would read only the zero padding.
import RadLensKernels

extension Kernels {
    public static var blockChannels: Int { Vector.scalarCount }
    public static var directTileBlocks: Int { directTileShape.blocks }

    public static func packedDirectWeightCount(outputChannels: Int, depth: Int) -> Int {
        (outputChannels + Vector.scalarCount - 1) / Vector.scalarCount * Vector.scalarCount * depth
    }

    public static func packDirectWeights(_ weights: UnsafePointer<Float>, outputChannels: Int, inputChannels: Int, taps: Int,
                                         blockedInput: Bool, into packed: UnsafeMutablePointer<Float>) {
        let lanes = Vector.scalarCount
        let outputBlocks = (outputChannels + lanes - 1) / lanes
        let channelsPerTap = blockedInput ? lanes : 1
        let inputGroups = blockedInput ? (inputChannels + lanes - 1) / lanes : inputChannels
        // The last group of a blocked input holds only its real channels (see `fullTapCount`).
        let depth = inputChannels * taps
        for block in 0..<outputBlocks {
            // Blocks are grouped F at a time (fewer in the last group); a group stores, for each
            // reduction step, F vectors of weights side by side.
            let groupStart = block / directTileShape.blocks * directTileShape.blocks
            let blocksInGroup = min(directTileShape.blocks, outputBlocks - groupStart)
            let base = packed + groupStart * depth * lanes + (block - groupStart) * lanes
            for group in 0..<inputGroups {
                for tap in 0..<taps {
                    let channelsInGroup = min(channelsPerTap, inputChannels - group * channelsPerTap)
                    for within in 0..<channelsInGroup {
                        let channel = group * channelsPerTap + within
                        let step = group * taps * channelsPerTap + tap * channelsInGroup + within
                        for lane in 0..<lanes {
                            let output = block * lanes + lane
                            let valid = output < outputChannels && channel < inputChannels
                            base[step * blocksInGroup * lanes + lane] = valid ? weights[(output * inputChannels + channel) * taps + tap] : 0
                        }
                    }
                }
            }
        }
    }

    public static func directConvolve(_ op: DirectConvOperands, blockStart: Int, blockEnd: Int, rowStart: Int, rowEnd: Int) {
        let lanes = Vector.scalarCount
        let depth = op.reductionDepth
        let blockStride = op.outputBlockStride
        let width = op.outputWidth
        let allKernelRows = 0..<op.kernelHeight, allKernelColumns = 0..<op.kernelWidth
        // Output columns whose kernel columns all read input: the border columns outside them
        // run as column tiles that skip the kernel columns over the padding.
        var interiorStart = 0, interiorEnd = width
        while interiorStart < width && op.kernelColumns(outputColumn: interiorStart) != allKernelColumns { interiorStart += 1 }
        while interiorEnd > interiorStart && op.kernelColumns(outputColumn: interiorEnd - 1) != allKernelColumns { interiorEnd -= 1 }
        // Rows whose kernel rows all read input: a contiguous range.
        var interiorRows = rowStart..<rowStart
        for oy in rowStart..<rowEnd where op.kernelRows(outputRow: oy) == allKernelRows {
            interiorRows = (interiorRows.isEmpty ? oy : interiorRows.lowerBound)..<(oy + 1)
        }
        var block = blockStart
        while block < blockEnd {
            let blocks = min(directTileShape.blocks, blockEnd - block)
            let maximumPixels = blocks == 1 ? directTileShape.singleBlockPixels : directTileShape.pixels
            let weights = op.weights + block * depth * lanes
            let bias = op.bias + block * lanes
            /// Columns `columns` of row `oy`, in near-equal tiles of at most `maximumPixels`: 7
            /// becomes 4 + 3 rather than 6 + 1, whose one-pixel tile would run at half speed.
            func row(_ oy: Int, columns: Range<Int>, kernelRows: Range<Int>) {
                let tiles = (columns.count + maximumPixels - 1) / maximumPixels
                let inputRow = op.input + oy * op.strideY * op.inputRowStride
                let outputRow = block * blockStride + oy * op.outputRowStride
                let residualRow = block * op.residualBlockStride + oy * op.residualRowStride
                for tile in 0..<tiles {
                    let start = columns.lowerBound + tile * columns.count / tiles
                    let end = columns.lowerBound + (tile + 1) * columns.count / tiles
                    directTile(blocks: blocks, pixels: end - start, op, input: inputRow + start * op.inputPixelStride,
                               weights: weights, output: op.output + outputRow + start * lanes,
                               residual: op.residual.map { $0 + residualRow + start * lanes }, bias: bias,
                               blockStride: blockStride, kernelRows: kernelRows, kernelColumns: allKernelColumns)
                }
            }
            // Rows whose kernel rows all read input run first, so the first pass over this
            // block's weights reads them whole and in order, a stream the prefetcher follows;
            // border columns and border rows (with the corners), which skip kernel taps, run after.
            // Border columns split off only while every tile keeps at least 4 pixels (4
            // accumulators cover the FMA latency): a 4x4 map would make 2-pixel tiles.
            func smallestTile(_ count: Int) -> Int { count / max(1, (count + maximumPixels - 1) / maximumPixels) }
            let splitColumns = interiorEnd - interiorStart < width && smallestTile(interiorEnd - interiorStart) >= 4
                && smallestTile(interiorRows.count) >= 4
            for oy in interiorRows {
                row(oy, columns: splitColumns ? interiorStart..<interiorEnd : 0..<width, kernelRows: allKernelRows)
            }
            for x in 0..<width where splitColumns && !(interiorStart..<interiorEnd).contains(x) {
                columnTiles(x, rows: interiorRows, blocks: blocks, block: block, maximumPixels: maximumPixels, op,
                            weights: weights, bias: bias)
            }
            for oy in rowStart..<rowEnd where !interiorRows.contains(oy) {
                row(oy, columns: 0..<width, kernelRows: op.kernelRows(outputRow: oy))
            }
            block += blocks
        }
    }

    /// Output column `x` over `rows` (whole kernel rows), in tiles of up to `maximumPixels`
    /// pixels down the column, each skipping the kernel columns that read only padding. A tile
    /// writes its pixels side by side, so it runs on copies: the residual is gathered into a
    /// scratch tile and the result scattered back to the column.
    static func columnTiles(_ x: Int, rows: Range<Int>, blocks: Int, block: Int, maximumPixels: Int, _ op: DirectConvOperands,
                            weights: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        let lanes = Vector.scalarCount
        let kernelColumns = op.kernelColumns(outputColumn: x)
        var column = op
        column.inputPixelStride = op.strideY * op.inputRowStride
        let scratchBlock = maximumPixels * lanes
        column.residualBlockStride = scratchBlock
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * blocks * scratchBlock) { scratch in
            let output = scratch.baseAddress!, residual = output + blocks * scratchBlock
            let tiles = (rows.count + maximumPixels - 1) / maximumPixels
            for tile in 0..<tiles {
                let start = rows.lowerBound + tile * rows.count / tiles, end = rows.lowerBound + (tile + 1) * rows.count / tiles
                func pixel(_ b: Int, _ oy: Int, blockStride: Int, rowStride: Int) -> Int {
                    (block + b) * blockStride + oy * rowStride + x * lanes
                }
                if let source = op.residual {
                    for b in 0..<blocks {
                        for oy in start..<end {
                            storeVector(load(source + pixel(b, oy, blockStride: op.residualBlockStride, rowStride: op.residualRowStride)),
                                        residual + b * scratchBlock + (oy - start) * lanes)
                        }
                    }
                }
                directTile(blocks: blocks, pixels: end - start, column,
                           input: op.input + start * op.strideY * op.inputRowStride + x * op.inputPixelStride,
                           weights: weights, output: output, residual: op.residual == nil ? nil : UnsafePointer(residual),
                           bias: bias, blockStride: scratchBlock, kernelRows: 0..<op.kernelHeight, kernelColumns: kernelColumns)
                for b in 0..<blocks {
                    for oy in start..<end {
                        storeVector(load(output + b * scratchBlock + (oy - start) * lanes),
                                    op.output + pixel(b, oy, blockStride: op.outputBlockStride, rowStride: op.outputRowStride))
                    }
                }
            }
        }
    }

    @inline(__always)
    static func directTile(blocks: Int, pixels: Int, _ op: DirectConvOperands, input: UnsafePointer<Float>,
                           weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                           bias: UnsafePointer<Float>, blockStride: Int, kernelRows: Range<Int>,
                           kernelColumns: Range<Int>) {
        if blocks == 2 {
            directTile(InlineArray<2, Int>.self, pixels: pixels, op, input: input, weights: weights, output: output,
                       residual: residual, bias: bias, blockStride: blockStride, kernelRows: kernelRows,
                       kernelColumns: kernelColumns)
        } else {
            directTile(InlineArray<1, Int>.self, pixels: pixels, op, input: input, weights: weights, output: output,
                       residual: residual, bias: bias, blockStride: blockStride, kernelRows: kernelRows,
                       kernelColumns: kernelColumns)
        }
    }

    /// Dispatches to the tile specialised for `pixels` (1...6 with two blocks, 1...12 with one).
    static func directTile<let F: Int>(_ blocks: InlineArray<F, Int>.Type, pixels: Int, _ op: DirectConvOperands,
                                       input: UnsafePointer<Float>, weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                       residual: UnsafePointer<Float>?, bias: UnsafePointer<Float>, blockStride: Int, kernelRows: Range<Int>,
                                       kernelColumns: Range<Int>) {
        switch pixels {
        case 1: directTile(blocks, InlineArray<1, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 2: directTile(blocks, InlineArray<2, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 3: directTile(blocks, InlineArray<3, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 4: directTile(blocks, InlineArray<4, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 5: directTile(blocks, InlineArray<5, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 6: directTile(blocks, InlineArray<6, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 7: directTile(blocks, InlineArray<7, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 8: directTile(blocks, InlineArray<8, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 9: directTile(blocks, InlineArray<9, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 10: directTile(blocks, InlineArray<10, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        case 11: directTile(blocks, InlineArray<11, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        default: directTile(blocks, InlineArray<12, Int>.self, op, input, weights, output, residual, bias, blockStride, kernelRows, kernelColumns)
        }
    }

    /// One register tile: 2 output channel blocks x N (1...6) output pixels, or 1 block x N
    /// (1...12) pixels, with the fused epilogue. The accumulators are named variables rather
    /// than an array, so they always live in registers: aJ0 is pixel J of block 0; aJ1 is pixel
    /// J of block 1, or with one block pixel J + 6. `if N > J` and `if F > 1` fold away when the
    /// function is specialised, leaving only the FMAs this shape needs.
    @inline(__always)
    static func directTile<let F: Int, let N: Int>(_: InlineArray<F, Int>.Type, _: InlineArray<N, Int>.Type, _ op: DirectConvOperands,
                                                   _ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                                                   _ output: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?,
                                                   _ bias: UnsafePointer<Float>, _ blockStride: Int, _ kernelRows: Range<Int>,
                                                   _ kernelColumns: Range<Int>) {
        let lanes = Vector.scalarCount
        var a00 = Vector(), a10 = Vector(), a20 = Vector(), a30 = Vector(), a40 = Vector(), a50 = Vector()
        var a01 = Vector(), a11 = Vector(), a21 = Vector(), a31 = Vector(), a41 = Vector(), a51 = Vector()
        let pixelStride = op.inputPixelStride
        var w = weights
        /// Reduces `channels` consecutive input channels at `source` into the accumulators.
        @inline(__always) func reduce(_ source: UnsafePointer<Float>, channels: Int) {
            for channel in 0..<channels {
                let w0 = load(w)
                let w1 = F > 1 ? load(w + lanes) : Vector()
                let p = source + channel
                var x = Vector(repeating: p[0])
                a00.addProduct(w0, x)
                if F > 1 { a01.addProduct(w1, x) }
                if N > 1 {
                    x = Vector(repeating: p[pixelStride])
                    a10.addProduct(w0, x)
                    if F > 1 { a11.addProduct(w1, x) }
                }
                if N > 2 {
                    x = Vector(repeating: p[2 * pixelStride])
                    a20.addProduct(w0, x)
                    if F > 1 { a21.addProduct(w1, x) }
                }
                if N > 3 {
                    x = Vector(repeating: p[3 * pixelStride])
                    a30.addProduct(w0, x)
                    if F > 1 { a31.addProduct(w1, x) }
                }
                if N > 4 {
                    x = Vector(repeating: p[4 * pixelStride])
                    a40.addProduct(w0, x)
                    if F > 1 { a41.addProduct(w1, x) }
                }
                if N > 5 {
                    x = Vector(repeating: p[5 * pixelStride])
                    a50.addProduct(w0, x)
                    if F > 1 { a51.addProduct(w1, x) }
                }
                if F == 1 && N > 6 { a01.addProduct(w0, Vector(repeating: p[6 * pixelStride])) }
                if F == 1 && N > 7 { a11.addProduct(w0, Vector(repeating: p[7 * pixelStride])) }
                if F == 1 && N > 8 { a21.addProduct(w0, Vector(repeating: p[8 * pixelStride])) }
                if F == 1 && N > 9 { a31.addProduct(w0, Vector(repeating: p[9 * pixelStride])) }
                if F == 1 && N > 10 { a41.addProduct(w0, Vector(repeating: p[10 * pixelStride])) }
                if F == 1 && N > 11 { a51.addProduct(w0, Vector(repeating: p[11 * pixelStride])) }
                w += F * lanes
            }
        }
        if kernelRows.count == op.kernelHeight && kernelColumns.count == op.kernelWidth {
            for tap in 0..<op.tapCount {
                reduce(input + op.tapOffsets[tap], channels: tap < op.fullTapCount ? op.channelsPerTap : op.lastTapChannels)
            }
        } else {
            // A border tile: taps come in groups (an input channel block, or channel) of kernel
            // rows of kernel columns; the taps that would read only padding, and their
            // weights, are skipped.
            let tapsPerGroup = op.kernelHeight * op.kernelWidth
            for group in stride(from: 0, to: op.tapCount, by: tapsPerGroup) {
                let channels = group < op.fullTapCount ? op.channelsPerTap : op.lastTapChannels
                let groupWeights = weights + group * op.channelsPerTap * F * lanes
                for ky in kernelRows {
                    for kx in kernelColumns {
                        let tap = ky * op.kernelWidth + kx
                        w = groupWeights + tap * channels * F * lanes
                        reduce(input + op.tapOffsets[group + tap], channels: channels)
                    }
                }
            }
        }
        // The epilogue, unrolled: pixel J of block 0 is aJ0; aJ1 is pixel J of block 1, or with
        // one block pixel J + 6.
        let bias0 = load(bias), bias1 = F > 1 ? load(bias + lanes) : bias0
        let second = F > 1 ? blockStride : 6 * lanes, residualSecond = F > 1 ? op.residualBlockStride : 6 * lanes
        let activation = op.activation
        finish(a00, bias0, output, residual, activation)
        if N > 1 { finish(a10, bias0, output + lanes, residual.map { $0 + lanes }, activation) }
        if N > 2 { finish(a20, bias0, output + 2 * lanes, residual.map { $0 + 2 * lanes }, activation) }
        if N > 3 { finish(a30, bias0, output + 3 * lanes, residual.map { $0 + 3 * lanes }, activation) }
        if N > 4 { finish(a40, bias0, output + 4 * lanes, residual.map { $0 + 4 * lanes }, activation) }
        if N > 5 { finish(a50, bias0, output + 5 * lanes, residual.map { $0 + 5 * lanes }, activation) }
        let firstOfSecond = F > 1 ? 0 : 6
        if N > firstOfSecond { finish(a01, bias1, output + second, residual.map { $0 + residualSecond }, activation) }
        if N > firstOfSecond + 1 {
            finish(a11, bias1, output + second + lanes, residual.map { $0 + residualSecond + lanes }, activation)
        }
        if N > firstOfSecond + 2 {
            finish(a21, bias1, output + second + 2 * lanes, residual.map { $0 + residualSecond + 2 * lanes }, activation)
        }
        if N > firstOfSecond + 3 {
            finish(a31, bias1, output + second + 3 * lanes, residual.map { $0 + residualSecond + 3 * lanes }, activation)
        }
        if N > firstOfSecond + 4 {
            finish(a41, bias1, output + second + 4 * lanes, residual.map { $0 + residualSecond + 4 * lanes }, activation)
        }
        if N > firstOfSecond + 5 {
            finish(a51, bias1, output + second + 5 * lanes, residual.map { $0 + residualSecond + 5 * lanes }, activation)
        }
    }

    /// Bias, residual and activation on one accumulator, stored to `output`. Transparent (always
    /// inlined): out of line, the vector arguments would travel as four xmm registers each.
    @_transparent
    static func finish(_ sum: Vector, _ bias: Vector, _ output: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?,
                       _ activation: Activation) {
        var value = sum + bias
        if let residual { value += load(residual) }
        storeVector(activate(value, activation), output)
    }

    public static func depthwiseBlocked(_ op: DirectConvOperands, blockStart: Int, blockEnd: Int) {
        let lanes = Vector.scalarCount
        let width = op.outputWidth
        let blockStride = op.outputBlockStride
        let tilesPerRow = (width + 5) / 6
        for block in blockStart..<blockEnd {
            let weights = op.weights + block * op.tapCount * lanes
            let bias = load(op.bias + block * lanes)
            for oy in 0..<op.outputHeight {
                let inputRow = op.input + block * op.inputBlockStride + oy * op.strideY * op.inputRowStride
                let outputRow = block * blockStride + oy * op.outputRowStride
                let residualRow = block * op.residualBlockStride + oy * op.residualRowStride
                for tile in 0..<tilesPerRow {
                    let start = tile * width / tilesPerRow, end = (tile + 1) * width / tilesPerRow
                    let offset = outputRow + start * lanes
                    let input = inputRow + start * op.inputPixelStride
                    let residual = op.residual.map { $0 + residualRow + start * lanes }
                    switch end - start {
                    case 1: depthwiseTile(InlineArray<1, Int>.self, op, input, weights, bias, op.output + offset, residual)
                    case 2: depthwiseTile(InlineArray<2, Int>.self, op, input, weights, bias, op.output + offset, residual)
                    case 3: depthwiseTile(InlineArray<3, Int>.self, op, input, weights, bias, op.output + offset, residual)
                    case 4: depthwiseTile(InlineArray<4, Int>.self, op, input, weights, bias, op.output + offset, residual)
                    case 5: depthwiseTile(InlineArray<5, Int>.self, op, input, weights, bias, op.output + offset, residual)
                    default: depthwiseTile(InlineArray<6, Int>.self, op, input, weights, bias, op.output + offset, residual)
                    }
                }
            }
        }
    }

    /// N (1...6) output pixels of one channel block: each tap is one vector FMA per pixel.
    /// Named accumulators, as in the direct tile, so they stay in registers.
    @inline(__always)
    static func depthwiseTile<let N: Int>(_: InlineArray<N, Int>.Type, _ op: DirectConvOperands, _ input: UnsafePointer<Float>,
                                          _ weights: UnsafePointer<Float>, _ bias: Vector, _ output: UnsafeMutablePointer<Float>,
                                          _ residual: UnsafePointer<Float>?) {
        let lanes = Vector.scalarCount
        var a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias
        let pixelStride = op.inputPixelStride
        for tap in 0..<op.tapCount {
            let p = input + op.tapOffsets[tap]
            let w = load(weights + tap * lanes)
            a0.addProduct(load(p), w)
            if N > 1 { a1.addProduct(load(p + pixelStride), w) }
            if N > 2 { a2.addProduct(load(p + 2 * pixelStride), w) }
            if N > 3 { a3.addProduct(load(p + 3 * pixelStride), w) }
            if N > 4 { a4.addProduct(load(p + 4 * pixelStride), w) }
            if N > 5 { a5.addProduct(load(p + 5 * pixelStride), w) }
        }
        for j in 0..<N {
            var value: Vector
            switch j {
            case 0: value = a0
            case 1: value = a1
            case 2: value = a2
            case 3: value = a3
            case 4: value = a4
            default: value = a5
            }
            if let residual { value += load(residual + j * lanes) }
            storeVector(activate(value, op.activation), output + j * lanes)
        }
    }
}
