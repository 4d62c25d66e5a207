import RadLensKernels

/// The convolution steps of a plan: direct and depthwise on the blocked layout, GEMM for
/// grouped convolutions.
extension ExecutionPlan {
    /// Where a convolution's input sits in the zero-bordered buffer it reads: the image at
    /// (padTop, padLeft) of a paddedHeight x paddedWidth plane.
    struct Padding: Hashable {
        var padTop, padLeft, paddedHeight, paddedWidth: Int
    }

    /// The Winograd output tile (4 or 2) of each fast-precision 3x3 convolution of a plan, by
    /// graph layer index; convolutions not listed run direct. Each transformed weight is used
    /// once per output tile of the batch, and F(4x4) has 4x as many weights as the direct
    /// convolution (F(2x2) 16/9x):
    /// - with at least 16 tiles of 4x4 in the batch, F(4x4);
    /// - with 4 to 15, F(4x4) while the plan's F(4x4) weights fit `winogradCacheBudget` divided
    ///   by the threads that share the cache; past it, the layers with the fewest tiles switch to
    ///   F(2x2), whose fewer weights are reused 4x as often (reading F(4x4)'s from memory for 4
    ///   tiles cost more than the multiplies saved, and more so with 2 threads reading at once);
    /// - with fewer, or on maps of at most 4x4 (one F(4x4) tile an image, whose 6x6 input is
    ///   mostly border; F(2x2) measured 1.6x faster on the shipped model's 4x4, 192-channel
    ///   layers at batch 16), F(2x2) if the batch has at least 16 tiles of 2x2, else direct;
    /// - then any layer whose transformed weights exceed `winogradStreamedBytes` and come to more
    ///   than `winogradBytesPerTile` a tile runs direct.
    static func winogradTiles(steps: [BlockedLayout.Step], weights: PreparedWeights, shapes: [String: [Int]],
                              lanes: Int, threadsSharingCache: Int) -> [Int: Int] {
        /// Output tiles of `tile` x `tile` in the batch, and bytes of transformed weights.
        func transformed(_ conv: ConvLayer, _ x: [Int], _ y: [Int], tile: Int) -> (tiles: Int, bytes: Int) {
            let points = (tile + 2) * (tile + 2)
            return (x[0] * ((y[2] + tile - 1) / tile) * ((y[3] + tile - 1) / tile),
                    points * ((conv.outputChannels + lanes - 1) / lanes * lanes) * conv.channelsPerGroup * 4)
        }
        var tiles: [Int: Int] = [:]
        var layers: [Int: (conv: ConvLayer, x: [Int], y: [Int])] = [:]
        var budgetCandidates: [(index: Int, tiles: Int, bytes: Int)] = []
        var bytes = 0
        for step in steps {
            guard let index = step.source, case .conv(let conv) = step.layer.kind, weights.convs[index]!.winogradCandidate,
                  let x = shapes[step.layer.inputs[0]], let y = shapes[step.layer.output] else { continue }
            layers[index] = (conv, x, y)
            let large = transformed(conv, x, y, tile: 4), small = transformed(conv, x, y, tile: 2)
            if large.tiles >= 4 && (y[2] > 4 || y[3] > 4) {
                tiles[index] = 4
                bytes += large.bytes
                if large.tiles < 16 { budgetCandidates.append((index, large.tiles, large.bytes)) }
            } else if small.tiles >= 16 {
                tiles[index] = 2
            }
        }
        for candidate in budgetCandidates.sorted(by: { $0.tiles < $1.tiles }) where bytes > winogradCacheBudget / threadsSharingCache {
            tiles[candidate.index] = 2
            bytes -= candidate.bytes
        }
        for (index, tile) in tiles {
            let layer = layers[index]!, chosen = transformed(layer.conv, layer.x, layer.y, tile: tile)
            if chosen.bytes > winogradStreamedBytes && chosen.bytes / chosen.tiles > winogradBytesPerTile { tiles[index] = nil }
        }
        return tiles
    }

    /// A layer whose transformed weights outgrow this (twice a 2 MB L2) and who reads more than
    /// `winogradBytesPerTile` of them per tile runs direct: its weights stream from L3 for too
    /// few tiles. ResNet-18 at batch 1 on a Xeon (2 MB L2 a core): its 14x14, 256-channel layers
    /// in F(4x4) (9.4 MB, 16 tiles) took 1.8 ms against 1.5 direct, its 7x7, 512-channel ones in
    /// F(2x2) (16.8 MB, 16 tiles) 2.4 against 2.1, and at 2 threads 1.7-2.0 against 1.2-1.3.
    static let winogradStreamedBytes = 4 << 20
    static let winogradBytesPerTile = 256 << 10

    /// Bytes of F(4x4) weights a plan keeps in F(4x4) on layers with few tiles: about a third of
    /// a 32 MB L3, leaving room for the other weights and the activations.
    static let winogradCacheBudget = 12 << 20

    /// The padded input geometry a blocked convolution reads, or nil when it needs no padding.
    static func inputPadding(_ conv: ConvLayer, winogradTile: Int?, x: [Int], y: [Int]) -> Padding? {
        let yAxis = SpatialAxis.resolve(input: x[2], kernel: conv.kernel.height, stride: conv.strides.y, dilation: conv.dilations.y,
                                        padBegin: conv.pads[0], padEnd: conv.pads[2], autoPad: conv.autoPad)!
        let xAxis = SpatialAxis.resolve(input: x[3], kernel: conv.kernel.width, stride: conv.strides.x, dilation: conv.dilations.x,
                                        padBegin: conv.pads[1], padEnd: conv.pads[3], autoPad: conv.autoPad)!
        var height = x[2] + yAxis.padBegin + yAxis.padEnd, width = x[3] + xAxis.padBegin + xAxis.padEnd
        if let tile = winogradTile {
            // Every (tile + 2)-square input tile must lie inside the buffer: pad the bottom and right further.
            height = max(height, (y[2] + tile - 1) / tile * tile + 2)
            width = max(width, (y[3] + tile - 1) / tile * tile + 2)
        }
        guard height != x[2] || width != x[3] else { return nil }
        return Padding(padTop: yAxis.padBegin, padLeft: xAxis.padBegin, paddedHeight: height, paddedWidth: width)
    }

    /// - Parameters: `inputStorage`, `residualStorage`, `outputPadding`: the zero-bordered
    ///   buffer geometry the input or residual sits in (its producer wrote it there), or the
    ///   output is to be written to, for the convolutions that read it; nil when dense. An input
    ///   stored padded has this convolution's `inputPadding`, or this convolution needs none.
    func convStep(_ conv: ConvLayer, _ prepared: PreparedConv, index: Int, weights: PreparedWeights, x: [Int], y: [Int],
                  input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                  inputStorage: Padding?, residualStorage: Padding?, outputPadding: Padding?, kernels: any KernelSet.Type,
                  scratch: UnsafeMutablePointer<Float>, threads: Int) -> (ThreadPool) -> Void {
        flops += 2 * x[0] * conv.outputChannels * y[2] * y[3] * conv.channelsPerGroup * conv.kernel.height * conv.kernel.width
        let lanes = kernels.blockChannels
        let outputBlocks = (conv.outputChannels + lanes - 1) / lanes
        let winogradTile = winogradTiles[index]
        let padding = Self.inputPadding(conv, winogradTile: winogradTile, x: x, y: y)
        precondition(padding == nil || inputStorage == nil || padding == inputStorage, "input stored with another padding than the convolution's")
        let out = BlockedView(output, storage: outputPadding, blocks: outputBlocks, height: y[2], width: y[3], lanes: lanes)
        let residualView = residual.map {
            BlockedView(UnsafeMutablePointer(mutating: $0), storage: residualStorage, blocks: outputBlocks, height: y[2], width: y[3],
                        lanes: lanes)
        }
        switch prepared.method {
        case .direct(let blockedInput):
            if let tile = winogradTile {
                return winogradStep(conv, outputTile: tile, transformedWeights: weights.winograd(conv, index: index, outputTile: tile),
                                    bias: prepared.bias, zeros: weights.zeros, x: x, y: y, padding: padding!, input: input,
                                    inputIsPadded: inputStorage != nil, output: out, residual: residualView, kernels: kernels,
                                    threads: threads)
            }
            return blockedConvStep(conv, prepared, x: x, y: y, padding: padding, input: input, inputStorage: inputStorage, output: out,
                                   residual: residualView, blockedInput: blockedInput, depthwise: false, kernels: kernels, threads: threads)
        case .depthwise:
            return blockedConvStep(conv, prepared, x: x, y: y, padding: padding, input: input, inputStorage: inputStorage, output: out,
                                   residual: residualView, blockedInput: true, depthwise: true, kernels: kernels, threads: threads)
        case .gemm:
            return gemmConvStep(conv, prepared, x: x, y: y, padding: padding, input: input, output: output, residual: residual,
                                kernels: kernels, scratch: scratch, threads: threads)
        }
    }

    /// A zero-bordered copy of `input` (planes of `pixelFloats` floats per pixel) with the
    /// image at (padTop, padLeft), and the step that refreshes its interior each run; or the
    /// input itself when there is nothing to pad. Convolutions with the same padded geometry
    /// share one buffer: they write the same interior, so its borders stay zero.
    private func paddedCopy(of input: UnsafePointer<Float>, batch: Int, planes: Int, height: Int, width: Int, pixelFloats: Int,
                            padding: Padding?, inputIsPadded: Bool) -> (UnsafePointer<Float>, ((ThreadPool) -> Void)?) {
        guard let padding, !inputIsPadded else { return (input, nil) }
        let (padTop, padLeft, paddedHeight, paddedWidth) = (padding.padTop, padding.padLeft, padding.paddedHeight, padding.paddedWidth)
        let paddedPlane = paddedHeight * paddedWidth * pixelFloats
        let key = [batch, planes, height, width, paddedHeight, paddedWidth, padTop, padLeft, pixelFloats]
        let padded = paddedInputs[key] ?? arena.allocate(batch * planes * paddedPlane)
        paddedInputs[key] = padded
        let rowFloats = width * pixelFloats, totalPlanes = batch * planes
        let copy: (ThreadPool) -> Void = { pool in
            let chunk = max(1, (totalPlanes + 2 * pool.threadCount - 1) / (2 * pool.threadCount))
            pool.parallelFor((totalPlanes + chunk - 1) / chunk) { task, _ in
                for plane in (task * chunk)..<min(totalPlanes, (task + 1) * chunk) {
                    let from = input + plane * height * rowFloats
                    let to = padded + plane * paddedPlane + (padTop * paddedWidth + padLeft) * pixelFloats
                    for row in 0..<height { (to + row * paddedWidth * pixelFloats).update(from: from + row * rowFloats, count: rowFloats) }
                }
            }
        }
        return (UnsafePointer(padded), copy)
    }

    /// A 3x3 stride-1 convolution by Winograd F(m x m, 3x3), m = `outputTile`: input transform,
    /// (m+2)^2 reductions over channels (the direct tile with tiles as pixels), output transform
    /// with the fused epilogue.
    private func winogradStep(_ conv: ConvLayer, outputTile: Int, transformedWeights: [UnsafePointer<Float>], bias: UnsafePointer<Float>,
                              zeros: UnsafePointer<Float>, x: [Int], y: [Int], padding: Padding, input: UnsafePointer<Float>,
                              inputIsPadded: Bool, output: BlockedView, residual: BlockedView?, kernels: any KernelSet.Type,
                              threads: Int) -> (ThreadPool) -> Void {
        let lanes = kernels.blockChannels
        let batch = x[0]
        let points = (outputTile + 2) * (outputTile + 2)
        let inputBlocks = (x[1] + lanes - 1) / lanes, channels = inputBlocks * lanes
        let outputBlocks = (conv.outputChannels + lanes - 1) / lanes
        let tilesY = (y[2] + outputTile - 1) / outputTile, tilesX = (y[3] + outputTile - 1) / outputTile, tiles = tilesY * tilesX
        let paddedHeight = padding.paddedHeight, paddedWidth = padding.paddedWidth
        let (source, copyPadded) = paddedCopy(of: input, batch: batch, planes: inputBlocks, height: x[2], width: x[3], pixelFloats: lanes,
                                              padding: padding, inputIsPadded: inputIsPadded)
        let inputImage = inputBlocks * paddedHeight * paddedWidth * lanes
        // Work units: a chunk of the batch's tiles and a range of output blocks, run through
        // all three phases by one thread so the transformed values stay in its cache. A chunk
        // takes consecutive images' tiles, as many as about 1 MB of scratch allows, since each
        // transformed weight is read once per chunk: with a chunk per image, an 8x8 map's 4
        // tiles read all of a layer's F(4x4) weights (2.4 MB at 128 channels) per image. The
        // count of chunks is a multiple of the threads (down to 4 tiles a chunk), then output
        // blocks split until every thread has work.
        let blockStep = kernels.directTileBlocks
        let blockGroups = (outputBlocks + blockStep - 1) / blockStep
        let floatsPerTile = points * (channels + outputBlocks * lanes)
        let maximumTilesPerChunk = max(6, (1 << 18) / floatsPerTile)  // 2^18 floats: 1 MB
        let batchTiles = batch * tiles
        let fewestChunks = (batchTiles + maximumTilesPerChunk - 1) / maximumTilesPerChunk
        let tileChunks = max(1, min(max(fewestChunks, batchTiles / 4), (fewestChunks + threads - 1) / threads * threads))
        let blockChunks = min(blockGroups, max(1, (threads + tileChunks - 1) / tileChunks))
        let tilesPerChunk = (batchTiles + tileChunks - 1) / tileChunks
        let blocksPerChunk = (blockGroups + blockChunks - 1) / blockChunks * blockStep
        let transformedFloats = points * tilesPerChunk * channels
        let perWorker = transformedFloats + points * blocksPerChunk * lanes * tilesPerChunk
        let scratch = winogradBuffer(count: threads * perWorker)
        let single = arena.allocateOffsets([0])
        // The reductions, one per transform point: pixels are tiles, one tap of `channels` consecutive channels.
        let reduction = DirectConvOperands(
            input: source, inputRowStride: 0, inputPixelStride: channels, inputBlockStride: 0, strideY: 0, tapOffsets: single,
            tapCount: 1, channelsPerTap: x[1], weights: transformedWeights[0], outputHeight: 1, outputWidth: 0,
            output: scratch, outputRowStride: 0, outputBlockStride: 0, bias: zeros, residual: nil, activation: .none)
        var epilogue = DirectConvOperands(
            input: source, inputRowStride: 0, inputPixelStride: 0, inputBlockStride: 0, strideY: 0, tapOffsets: single, tapCount: 0,
            channelsPerTap: 0, weights: transformedWeights[0], outputHeight: y[2], outputWidth: y[3], output: output.origin,
            outputRowStride: output.rowStride, outputBlockStride: output.blockStride, bias: bias, residual: nil,
            activation: conv.activation)
        if let residual {
            epilogue.residualRowStride = residual.rowStride
            epilogue.residualBlockStride = residual.blockStride
        }
        return { pool in
            copyPadded?(pool)
            pool.parallelFor(tileChunks * blockChunks) { task, worker in
                let first = task % tileChunks * tilesPerChunk, end = min(batchTiles, first + tilesPerChunk)
                let blockStart = task / tileChunks * blocksPerChunk, blockEnd = min(outputBlocks, blockStart + blocksPerChunk)
                guard first < end, blockStart < blockEnd else { return }
                let count = end - first, blocks = blockEnd - blockStart
                let transformed = scratch + worker * perWorker, reduced = transformed + transformedFloats
                /// Calls `body` for each image with tiles in the chunk: the image, its tiles there
                /// and the chunk position of the first.
                func eachImage(_ body: (_ image: Int, _ tiles: Range<Int>, _ position: Int) -> Void) {
                    var next = first
                    while next < end {
                        let image = next / tiles, tileStart = next - image * tiles, tileEnd = min(tiles, end - image * tiles)
                        body(image, tileStart..<tileEnd, next - first)
                        next = image * tiles + tileEnd
                    }
                }
                eachImage { image, imageTiles, position in
                    kernels.winogradInput(source + image * inputImage, outputTile: outputTile, blocks: inputBlocks,
                                          blockStride: paddedHeight * paddedWidth * lanes, rowStride: paddedWidth * lanes, tilesX: tilesX,
                                          tileStart: imageTiles.lowerBound, tileEnd: imageTiles.upperBound,
                                          transformed: transformed + position * channels, tilesPerPoint: count)
                }
                var operands = reduction
                operands.outputWidth = count
                operands.outputRowStride = count * lanes
                operands.outputBlockStride = count * lanes
                for xi in 0..<points {
                    operands.input = UnsafePointer(transformed + xi * count * channels)
                    // Blocks are stored from blockStart on: shift the origin so block indices stay absolute.
                    operands.output = reduced + xi * blocks * count * lanes - blockStart * count * lanes
                    operands.weights = transformedWeights[xi]
                    kernels.directConvolve(operands, blockStart: blockStart, blockEnd: blockEnd, rowStart: 0, rowEnd: 1)
                }
                eachImage { image, imageTiles, position in
                    var finish = epilogue
                    finish.output += image * output.image
                    finish.residual = residual.map { UnsafePointer($0.origin + image * $0.image) }
                    kernels.winogradOutput(reduced + position * lanes, outputTile: outputTile, tileStart: imageTiles.lowerBound,
                                           tileEnd: imageTiles.upperBound, tilesX: tilesX, blockStart: blockStart, blockEnd: blockEnd,
                                           tilesPerPoint: count, finish)
                }
            }
        }
    }

    /// Per-thread scratch of at least `count` floats for Winograd's transformed inputs and
    /// reductions, shared by the Winograd convolutions of the plan (they run one after another);
    /// a larger need allocates a larger buffer for this and later layers.
    private func winogradBuffer(count: Int) -> UnsafeMutablePointer<Float> {
        if let existing = winogradScratch, existing.count >= count { return existing.pointer }
        let pointer = arena.allocate(count)
        winogradScratch = (pointer, count)
        return pointer
    }

    /// A direct or depthwise convolution writing a blocked output. A padded convolution reads its
    /// input where the producer wrote it zero-bordered, or else from a zero-bordered copy made
    /// once per run (the borders are written once, at plan time).
    private func blockedConvStep(_ conv: ConvLayer, _ prepared: PreparedConv, x: [Int], y: [Int], padding: Padding?,
                                 input: UnsafePointer<Float>, inputStorage: Padding?, output: BlockedView, residual: BlockedView?,
                                 blockedInput: Bool, depthwise: Bool, kernels: any KernelSet.Type, threads: Int) -> (ThreadPool) -> Void {
        let lanes = kernels.blockChannels
        let batch = x[0], height = x[2], width = x[3]
        // A blocked input is planes of channel blocks with `lanes` floats per pixel; a plain one, planes of one channel.
        let planes = blockedInput ? (x[1] + lanes - 1) / lanes : x[1]
        let pixelFloats = blockedInput ? lanes : 1
        // The input is read with the padding this convolution needs (from a copy, or where the
        // producer wrote it), else with the zero-bordered buffer it is stored in, else dense.
        let geometry = padding ?? inputStorage
        let paddedHeight = geometry?.paddedHeight ?? height, paddedWidth = geometry?.paddedWidth ?? width
        let paddedPlane = paddedHeight * paddedWidth * pixelFloats
        let (copied, copyPadded) = paddedCopy(of: input, batch: batch, planes: planes, height: height, width: width,
                                              pixelFloats: pixelFloats, padding: padding, inputIsPadded: inputStorage != nil)
        // Without padding of its own, a convolution reads a zero-bordered buffer from its interior.
        let interior = padding == nil ? inputStorage.map { ($0.padTop * paddedWidth + $0.padLeft) * pixelFloats } ?? 0 : 0
        let source = copied + interior
        // Tap offsets: direct taps run over (input plane, ky, kx); depthwise taps stay in one block.
        // On a plain image (one float per pixel) without column dilation, a kernel row is one
        // tap of kernel-width consecutive floats read as that many channels, in the packed
        // weights' order: the tile's channel loop then turns 3 or 7 times per tap, not once.
        let rowTaps = !blockedInput && !depthwise && conv.dilations.x == 1
        var offsets: [Int] = []
        for plane in 0..<(depthwise ? 1 : planes) {
            for ky in 0..<conv.kernel.height {
                for kx in 0..<(rowTaps ? 1 : conv.kernel.width) {
                    offsets.append(plane * paddedPlane + (ky * conv.dilations.y * paddedWidth + kx * conv.dilations.x) * pixelFloats)
                }
            }
        }
        let tapOffsets = arena.allocateOffsets(offsets)
        let outputBlocks = (conv.outputChannels + lanes - 1) / lanes
        var template = DirectConvOperands(
            input: source, inputRowStride: paddedWidth * pixelFloats, inputPixelStride: conv.strides.x * pixelFloats,
            inputBlockStride: paddedPlane, strideY: conv.strides.y, tapOffsets: tapOffsets, tapCount: offsets.count,
            channelsPerTap: depthwise ? 1 : rowTaps ? conv.kernel.width : pixelFloats, weights: prepared.weights[0],
            outputHeight: y[2], outputWidth: y[3],
            output: output.origin, outputRowStride: output.rowStride, outputBlockStride: output.blockStride, bias: prepared.bias,
            residual: residual.map { UnsafePointer($0.origin) }, activation: conv.activation)
        if let residual {
            template.residualRowStride = residual.rowStride
            template.residualBlockStride = residual.blockStride
        }
        if let padding, !depthwise {
            // Only a padded convolution has taps over the padding for its tiles to skip.
            template.kernelHeight = conv.kernel.height
            template.padTop = padding.padTop
            template.inputHeight = height
            template.dilationY = conv.dilations.y
            // Row taps hold their kernel columns as channels, which are never skipped.
            template.kernelWidth = rowTaps ? 1 : conv.kernel.width
            if !rowTaps {
                template.padLeft = padding.padLeft
                template.inputWidth = width
                template.strideX = conv.strides.x
                template.dilationX = conv.dilations.x
            }
        }
        if blockedInput && !depthwise && x[1] % lanes != 0 {
            // The last channel block's taps reduce over its real channels only.
            template.fullTapCount = (planes - 1) * conv.kernel.height * conv.kernel.width
            template.lastTapChannels = x[1] % lanes
        }
        // A pointwise convolution with a dense output is one long row: its pixels are contiguous
        // in every block, so a 7x7 map makes tiles of 5-6 pixels instead of 4 + 3 per row.
        let pointwise = !depthwise && conv.kernel == (1, 1) && conv.strides == (1, 1) && padding == nil && inputStorage == nil
            && output.rowStride == y[3] * lanes && (residual?.rowStride ?? y[3] * lanes) == y[3] * lanes && blockedInput
        if pointwise {
            template.outputHeight = 1
            template.outputWidth = y[2] * y[3]
            template.outputRowStride = y[2] * y[3] * lanes
            template.residualRowStride = y[2] * y[3] * lanes
        }
        let inputImage = planes * paddedPlane
        let whole = template
        /// The operands of image `image` of the batch.
        func imageOperands(_ image: Int) -> DirectConvOperands {
            var operands = whole
            operands.input += image * inputImage
            operands.output += image * output.image
            operands.residual = residual.map { UnsafePointer($0.origin + image * $0.image) }
            return operands
        }
        // A layer whose weights outweigh an image's input and output (the late layers of a
        // network: many channels, small maps) runs each group of output blocks over every image
        // in turn, so the group's weights come from memory once per batch instead of per image.
        let weightBytes = template.reductionDepth * outputBlocks * lanes * MemoryLayout<Float>.size
        let imageBytes = (inputImage + outputBlocks * y[2] * y[3] * lanes) * MemoryLayout<Float>.size
        let step = depthwise ? 1 : kernels.directTileBlocks
        let blockGroups = (outputBlocks + step - 1) / step
        if !depthwise && batch > 1 && weightBytes > imageBytes {
            let imageChunks = min(batch, max(1, (2 * threads + blockGroups - 1) / blockGroups))
            let imagesPerChunk = (batch + imageChunks - 1) / imageChunks
            return { pool in
                copyPadded?(pool)
                pool.parallelFor(blockGroups * imageChunks) { task, _ in
                    let blockStart = task % blockGroups * step, firstImage = task / blockGroups * imagesPerChunk
                    for image in firstImage..<min(batch, firstImage + imagesPerChunk) {
                        kernels.directConvolve(imageOperands(image), blockStart: blockStart,
                                               blockEnd: min(outputBlocks, blockStart + step), rowStart: 0, rowEnd: whole.outputHeight)
                    }
                }
            }
        }
        // Tasks split output rows; a pointwise convolution's one long row splits into spans of pixels.
        let rows = pointwise ? whole.outputWidth : whole.outputHeight
        // Tasks: whole images when the batch keeps every thread busy, else about 4 per thread
        // of output channel blocks (in whole register tiles) and rows, a multiple of the thread
        // count where the rows allow: 3 equal tasks on 2 threads would leave one idle a third
        // of the time, and the small late layers of a network are only a few tasks long.
        let wanted = threads == 1 || batch >= 2 * threads ? 1 : (4 * threads + batch - 1) / batch
        let blockChunks = min(blockGroups, wanted)
        var rowChunks = min(rows, (wanted + blockChunks - 1) / blockChunks)
        while wanted > 1 && rowChunks < rows && (blockChunks * rowChunks) % threads != 0 { rowChunks += 1 }
        let blocksPerChunk = (blockGroups + blockChunks - 1) / blockChunks * step
        let rowsPerChunk = (rows + rowChunks - 1) / rowChunks
        let tasksPerImage = blockChunks * rowChunks
        // A task over several groups of output blocks runs them pass by pass: every group over
        // one pass's rows (a pointwise convolution's pixels) before the next pass, so the input
        // the groups share comes from memory once and then from cache. Otherwise each group
        // would stream the whole input: a 1x1 convolution of 256 channels on a 56x56 map
        // (3.2 MB) reads it 8 times at AVX2, and ran 1.4x ONNX Runtime's time.
        let inputRowBytes = (pointwise ? planes * lanes : planes * whole.strideY * whole.inputRowStride) * MemoryLayout<Float>.size
        var passRows = rows
        if !depthwise && blocksPerChunk > step && weightBytes <= imageBytes {
            passRows = max(1, Self.passInputBytes / inputRowBytes)
            // Pixels in whole tiles (12 is a multiple of every level's tile widths).
            if pointwise { passRows = max(12, passRows / 12 * 12) }
        }
        return { pool in
            copyPadded?(pool)
            pool.parallelFor(batch * tasksPerImage) { task, _ in
                let image = task / tasksPerImage, part = task % tasksPerImage
                let blockStart = (part % blockChunks) * blocksPerChunk, rowStart = (part / blockChunks) * rowsPerChunk
                guard blockStart < outputBlocks, rowStart < rows else { return }
                let blockEnd = min(outputBlocks, blockStart + blocksPerChunk), rowEnd = min(rows, rowStart + rowsPerChunk)
                var passStart = rowStart
                while passStart < rowEnd {
                    let passEnd = min(rowEnd, passStart + passRows)
                    var operands = imageOperands(image)
                    if depthwise || pointwise {
                        // These kernels run all rows (pixels) of their operands: move the operands to the part.
                        let (inputShift, outputShift, residualShift) = pointwise
                            ? (passStart * whole.inputPixelStride, passStart * lanes, passStart * lanes)
                            : (passStart * whole.strideY * whole.inputRowStride, passStart * whole.outputRowStride,
                               passStart * whole.residualRowStride)
                        operands.input += inputShift
                        operands.output += outputShift
                        operands.residual = operands.residual.map { $0 + residualShift }
                        if pointwise { operands.outputWidth = passEnd - passStart } else { operands.outputHeight = passEnd - passStart }
                    }
                    if depthwise {
                        kernels.depthwiseBlocked(operands, blockStart: blockStart, blockEnd: blockEnd)
                    } else {
                        kernels.directConvolve(operands, blockStart: blockStart, blockEnd: blockEnd,
                                               rowStart: pointwise ? 0 : passStart, rowEnd: pointwise ? 1 : passEnd)
                    }
                    passStart = passEnd
                }
            }
        }
    }

    /// Input bytes one pass of a convolution's rows reads (see `blockedConvStep`): with the
    /// layer's weights, well within a 512 KB L2. Measured on a 1x1, 256 -> 128 channel
    /// convolution of a 56x56 map at AVX2 (Zen 3), whole input: 5.0 ms; passes of 32, 64 and
    /// 128 KB: 4.3-4.5 ms; DenseNet-121 at batch 1, 84 -> 77 ms (best of 10 interleaved runs).
    static let passInputBytes = 64 << 10

    /// A grouped convolution: per group, an im2col GEMM on plain NCHW.
    private func gemmConvStep(_ conv: ConvLayer, _ prepared: PreparedConv, x: [Int], y: [Int], padding: Padding?,
                              input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                              kernels: any KernelSet.Type, scratch: UnsafeMutablePointer<Float>, threads: Int) -> (ThreadPool) -> Void {
        let groups = conv.groups
        let rowsPerGroup = conv.outputChannels / groups
        let batch = x[0]
        // A padded convolution reads a zero-bordered copy of its input: im2col packing then
        // copies whole runs with no border checks.
        let (source, copyPadded) = paddedCopy(of: input, batch: batch, planes: x[1], height: x[2], width: x[3], pixelFloats: 1,
                                              padding: padding, inputIsPadded: false)
        let geometry = ConvGeometry(inputChannels: conv.channelsPerGroup, inputHeight: padding?.paddedHeight ?? x[2],
                                    inputWidth: padding?.paddedWidth ?? x[3], outputChannels: rowsPerGroup, outputHeight: y[2],
                                    outputWidth: y[3], kernelHeight: conv.kernel.height, kernelWidth: conv.kernel.width,
                                    strideY: conv.strides.y, strideX: conv.strides.x, dilationY: conv.dilations.y, dilationX: conv.dilations.x)
        let planeSize = geometry.inputHeight * geometry.inputWidth
        let sourceImage = x[1] * planeSize, outputImage = y[1] * y[2] * y[3]
        let pixels = geometry.outputPixels
        let activation = conv.activation
        let scratchCount = kernels.scratchCount

        // Split each image's work into column chunks (or, for small images, row chunks) so every thread has some.
        let tileColumns = kernels.tileColumns, tileRows = kernels.tileRows
        let wantTasks = batch * groups >= 2 * threads ? 1 : max(1, 2 * threads / (batch * groups))
        let columnTiles = (pixels + tileColumns - 1) / tileColumns
        let rowTiles = (rowsPerGroup + tileRows - 1) / tileRows
        let columnChunks = min(wantTasks, columnTiles)
        let rowChunks = columnChunks >= wantTasks ? 1 : min(rowTiles, (wantTasks + columnChunks - 1) / columnChunks)
        let columnsPerChunk = (columnTiles + columnChunks - 1) / columnChunks * tileColumns
        let rowsPerChunk = (rowTiles + rowChunks - 1) / rowChunks * tileRows
        let tasksPerGroup = columnChunks * rowChunks
        return { pool in
            copyPadded?(pool)
            pool.parallelFor(batch * groups * tasksPerGroup) { task, worker in
                let unit = task / tasksPerGroup, part = task % tasksPerGroup
                let image = unit / groups, group = unit % groups
                let columnPart = part % columnChunks, rowPart = part / columnChunks
                let outputOffset = image * outputImage + group * rowsPerGroup * pixels
                let operands = ConvOperands(
                    packedWeights: prepared.weights[group],
                    input: source + image * sourceImage + group * conv.channelsPerGroup * planeSize,
                    output: output + outputOffset, bias: prepared.bias + group * rowsPerGroup,
                    residual: residual.map { $0 + outputOffset }, activation: activation)
                let columnStart = columnPart * columnsPerChunk
                let rowStart = rowPart * rowsPerChunk
                guard columnStart < pixels, rowStart < rowsPerGroup else { return }
                kernels.convolve(geometry, operands, columnStart: columnStart, columnEnd: min(pixels, columnStart + columnsPerChunk),
                                 rowStart: rowStart, rowEnd: min(rowsPerGroup, rowStart + rowsPerChunk),
                                 scratch: scratch + worker * scratchCount)
            }
        }
    }
}

/// Where a blocked tensor (a convolution's output or residual) sits: densely, or in the
/// interior of a zero-bordered buffer that the convolutions reading it use without copying.
struct BlockedView {
    /// Pixel (0, 0) of channel block 0 of image 0.
    var origin: UnsafeMutablePointer<Float>
    var rowStride: Int
    var blockStride: Int
    /// Floats per image.
    var image: Int

    /// `blocks` channel blocks of `height` x `width` pixels at `base`: dense, or the interior of
    /// a zero-bordered buffer of `storage`'s geometry.
    init(_ base: UnsafeMutablePointer<Float>, storage: ExecutionPlan.Padding?, blocks: Int, height: Int, width: Int, lanes: Int) {
        let paddedHeight = storage?.paddedHeight ?? height, paddedWidth = storage?.paddedWidth ?? width
        origin = base + ((storage?.padTop ?? 0) * paddedWidth + (storage?.padLeft ?? 0)) * lanes
        rowStride = paddedWidth * lanes
        blockStride = paddedHeight * paddedWidth * lanes
        image = blocks * blockStride
    }
}
