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

    /// Depthwise convolution (one filter per channel) for channels [channelStart, channelEnd).
    /// `weights` is [C, kh, kw]; output channel c reads input channel c.
    static func depthwise(_ geometry: ConvGeometry, weights: UnsafePointer<Float>, _ operands: ConvOperands,
                          channelStart: Int, channelEnd: Int)

    /// y[j] = act(dot(x, w[j]) + bias[j]) for j in [start, end): a fully connected layer on one row.
    static func dense(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      inputCount: Int, outputStart: Int, outputEnd: Int, activation: Activation,
                      output: UnsafeMutablePointer<Float>)
}
