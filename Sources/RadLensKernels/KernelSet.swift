/// One instruction-set level's microkernels. The engine holds one `KernelSet.Type`, chosen at
/// run time from the CPU's features; every level implements the same operations from one shared
/// source compiled with different `-target-cpu` flags.
public protocol KernelSet: Sendable {
    /// A short name shown by `radlens doctor` (e.g. "avx512").
    static var name: String { get }
    /// Rows of the GEMM register tile (output channels per microkernel call).
    static var tileRows: Int { get }
    /// Columns of the GEMM register tile (output pixels per microkernel call).
    static var tileColumns: Int { get }

    /// Floats needed to hold `rows` x `depth` weights packed for this kernel set.
    static func packedWeightCount(rows: Int, depth: Int) -> Int
    /// Packs row-major weights [rows x depth] into register-tile panels.
    static func packWeights(_ weights: UnsafePointer<Float>, rows: Int, depth: Int, into packed: UnsafeMutablePointer<Float>)
    /// Scratch floats one thread needs for `convolve`.
    static var scratchCount: Int { get }

    /// Computes output columns [columnStart, columnEnd) and output channels [rowStart, rowEnd)
    /// of a convolution, packing im2col panels on the fly into `scratch`. `rowStart` must be a
    /// multiple of `tileRows`.
    static func convolve(_ geometry: ConvGeometry, _ operands: ConvOperands, columnStart: Int, columnEnd: Int,
                         rowStart: Int, rowEnd: Int, scratch: UnsafeMutablePointer<Float>)

    /// Channels per block of the blocked (NCHWc) layout: one vector's lanes.
    static var blockChannels: Int { get }
    /// Output channel blocks per direct-convolution register tile; task splits over blocks
    /// must start at multiples of it.
    static var directTileBlocks: Int { get }
    /// Floats needed to hold a direct convolution's weights for `outputChannels` outputs and
    /// `depth` = taps x channels per tap.
    static func packedDirectWeightCount(outputChannels: Int, depth: Int) -> Int
    /// Packs weights [M][C][taps] for `directConvolve`. With `blockedInput` the reduction runs
    /// over (channel block, tap, channel in block), otherwise over (channel, tap).
    static func packDirectWeights(_ weights: UnsafePointer<Float>, outputChannels: Int, inputChannels: Int, taps: Int,
                                  blockedInput: Bool, into packed: UnsafeMutablePointer<Float>)
    /// Direct convolution of output channel blocks [blockStart, blockEnd) and output rows
    /// [rowStart, rowEnd) of one image on the blocked layout.
    static func directConvolve(_ operands: DirectConvOperands, blockStart: Int, blockEnd: Int, rowStart: Int, rowEnd: Int)
    /// Depthwise convolution on the blocked layout for channel blocks [blockStart, blockEnd):
    /// `operands.weights` is [Cb][taps][B], `tapOffsets` are within one block.
    static func depthwiseBlocked(_ operands: DirectConvOperands, blockStart: Int, blockEnd: Int)

    /// Winograd F(m x m, 3x3) input transform, m = `outputTile` (4 or 2), of tiles [tileStart,
    /// tileEnd) of one blocked, zero-padded image into `transformed[(m+2)^2][tilesPerPoint][blocks
    /// x B]`, from its tile 0 on: a chunk of `tilesPerPoint` tiles may hold several images' tiles.
    static func winogradInput(_ input: UnsafePointer<Float>, outputTile: Int, blocks: Int, blockStride: Int, rowStride: Int,
                              tilesX: Int, tileStart: Int, tileEnd: Int, transformed: UnsafeMutablePointer<Float>, tilesPerPoint: Int)
    /// Winograd F(m x m, 3x3) output transform of `reduced[(m+2)^2][blockEnd -
    /// blockStart][tilesPerPoint][B]` (tiles [tileStart, tileEnd) of one image from its tile 0 on),
    /// with the fused bias, residual and activation of `operands` (whose output is blocked
    /// [blocks][OH][OW][B]).
    static func winogradOutput(_ reduced: UnsafePointer<Float>, outputTile: Int, tileStart: Int, tileEnd: Int, tilesX: Int,
                               blockStart: Int, blockEnd: Int, tilesPerPoint: Int, _ operands: DirectConvOperands)

    /// output[i] = activation(input[i]) for `count` floats (any layout).
    static func activate(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int, activation: Activation)

    /// Max or average pooling of output rows [rowStart, rowEnd) of one blocked plane ([H][W][B]),
    /// written `outputRowStride` floats apart (OW x B when dense); average divides by the valid
    /// taps, or with `countIncludePad` by the window clipped to the padded input.
    static func poolBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, height: Int, width: Int,
                            outputHeight: Int, outputWidth: Int, outputRowStride: Int, rowStart: Int, rowEnd: Int, window: PoolWindow,
                            max: Bool, countIncludePad: Bool)
    /// Mean of each blocked plane: [planes][planeSize][B] to [planes][B].
    static func globalAverageBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planes: Int, planeSize: Int)
    /// y = act(x * scale + shift) per channel on blocked planes [planeStart, planeEnd) of
    /// `input`; plane p uses block p % blocks of `scale` and `shift`.
    static func channelAffineBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, planeStart: Int,
                                     planeEnd: Int, blocks: Int, planeSize: Int, scale: UnsafePointer<Float>,
                                     shift: UnsafePointer<Float>, activation: Activation)
    /// out = x (op) gate on planes [planeStart, planeEnd) of x, blocked [N][blocks][plane][B];
    /// gate is one vector per image and block ([N or 1][blocks][B], `perImage` false for 1):
    /// a squeeze-and-excitation gate.
    static func binaryPerChannelBlocked(_ x: UnsafePointer<Float>, gate: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                        planeStart: Int, planeEnd: Int, blocks: Int, plane: Int, perImage: Bool, multiply: Bool)

    /// y[j] = act(dot(x, w[j]) + bias[j]) for j in [start, end): a fully connected layer on one row.
    static func dense(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      inputCount: Int, outputStart: Int, outputEnd: Int, activation: Activation,
                      output: UnsafeMutablePointer<Float>)
}
