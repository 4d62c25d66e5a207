import Glibc

/// What a convolution or GEMM does to its result before storing it: the fused epilogue.
public enum Activation: Sendable, Equatable {
    case none
    case relu
    /// Clip to [low, high] (ReLU6 is clip(0, 6)).
    case clip(low: Float, high: Float)
    case sigmoid
    /// x * clip(alpha*x + beta, 0, 1), ONNX HardSwish with alpha 1/6, beta 0.5.
    case hardSwish
    /// clip(alpha*x + beta, 0, 1).
    case hardSigmoid(alpha: Float, beta: Float)

    /// Applies the activation to one value (the scalar reference for the SIMD versions).
    @inlinable public func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(x, 0)
        case .clip(let low, let high): return min(max(x, low), high)
        case .sigmoid: return 1 / (1 + _expf(-x))
        case .hardSwish: return x * min(max(x / 6 + 0.5, 0), 1)
        case .hardSigmoid(let alpha, let beta): return min(max(alpha * x + beta, 0), 1)
        }
    }
}

@usableFromInline func _expf(_ x: Float) -> Float { expf(x) }

/// The geometry of a 2-D convolution on one image in NCHW layout, whose input is already
/// zero-padded (the engine pads into a copy, so the geometry has no padding of its own).
public struct ConvGeometry: Sendable, Equatable {
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var outputChannels: Int
    public var outputHeight: Int
    public var outputWidth: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideY: Int
    public var strideX: Int
    public var dilationY: Int
    public var dilationX: Int

    public init(inputChannels: Int, inputHeight: Int, inputWidth: Int, outputChannels: Int,
                outputHeight: Int, outputWidth: Int, kernelHeight: Int, kernelWidth: Int,
                strideY: Int = 1, strideX: Int = 1, dilationY: Int = 1, dilationX: Int = 1) {
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.outputChannels = outputChannels
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        self.dilationY = dilationY
        self.dilationX = dilationX
    }

    /// Rows of the implicit im2col matrix: input channels x kernel taps.
    public var reductionLength: Int { inputChannels * kernelHeight * kernelWidth }
    /// Columns of the implicit im2col matrix: output pixels.
    public var outputPixels: Int { outputHeight * outputWidth }
}

/// Operands of one fused convolution-as-GEMM on one image: C = act(A * im2col(input) + bias + residual).
public struct ConvOperands: @unchecked Sendable {
    /// Weights packed by the kernel set's `packWeights`.
    public var packedWeights: UnsafePointer<Float>
    /// The input image, [C, H, W].
    public var input: UnsafePointer<Float>
    /// The output image, [M, OH, OW].
    public var output: UnsafeMutablePointer<Float>
    /// One bias per output channel, or nil.
    public var bias: UnsafePointer<Float>?
    /// Added before the activation (a fused residual connection), same layout as output, or nil.
    public var residual: UnsafePointer<Float>?
    public var activation: Activation

    public init(packedWeights: UnsafePointer<Float>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, activation: Activation) {
        self.packedWeights = packedWeights
        self.input = input
        self.output = output
        self.bias = bias
        self.residual = residual
        self.activation = activation
    }
}

/// Operands of a direct convolution on the blocked (NCHWc) layout, for one image: channels
/// are stored in blocks of one vector ([C/B][H][W][B]), so a register tile is `F` vectors of
/// output channels x `N` output pixels, each input value is broadcast once per tile and no
/// im2col matrix is ever packed.
public struct DirectConvOperands: @unchecked Sendable {
    /// The zero-padded input at output pixel (0, 0): blocked [Cb][Hp][Wp][B] or, for a first
    /// layer on a plain image, [C][Hp][Wp].
    public var input: UnsafePointer<Float>
    /// Floats between input rows.
    public var inputRowStride: Int
    /// Floats between the inputs of neighbouring output pixels (stride x channels per pixel).
    public var inputPixelStride: Int
    /// Floats between input channel blocks (depthwise only: direct taps include the block).
    public var inputBlockStride: Int
    public var strideY: Int
    /// Per tap, the offset in floats of its input from the output pixel's (channel block or
    /// channel, ky, kx); the weights follow the same order.
    public var tapOffsets: UnsafePointer<Int>
    public var tapCount: Int
    /// Consecutive input channels read at each tap: B for a blocked input, 1 for a plain one.
    public var channelsPerTap: Int
    /// Taps [fullTapCount, tapCount) read only `lastTapChannels` channels: the last channel
    /// block of an input whose channel count is not a multiple of B, so its padding lanes cost
    /// nothing. By default every tap is full.
    public var fullTapCount: Int
    public var lastTapChannels: Int
    /// Weights packed by `packDirectWeights` (or [Cb][taps][B] for depthwise).
    public var weights: UnsafePointer<Float>
    public var outputHeight: Int
    public var outputWidth: Int
    /// Blocked output [Mb][OH][OW][B] at pixel (0, 0); its rows and blocks may be further apart
    /// than OW and OH x OW pixels when it is the interior of a zero-bordered buffer.
    public var output: UnsafeMutablePointer<Float>
    /// Floats between output rows (OW x B when dense).
    public var outputRowStride: Int
    /// Floats between output channel blocks (OH x OW x B when dense).
    public var outputBlockStride: Int
    /// Mb x B biases (zero in the padding lanes).
    public var bias: UnsafePointer<Float>
    /// Added before the activation; blocked like the output at pixel (0, 0); or nil.
    public var residual: UnsafePointer<Float>?
    /// Floats between the residual's rows and channel blocks: by default the output's (they
    /// differ when one of the two is the interior of a zero-bordered buffer).
    public var residualRowStride: Int
    public var residualBlockStride: Int
    public var activation: Activation
    /// The taps of each input channel block (or channel) are `kernelHeight` rows of
    /// `kernelWidth`. With the zero padding above and left of the input (`padTop`, `padLeft`),
    /// the input's real size, the column stride and the kernel's dilations, a tile skips the
    /// kernel rows and columns that would read only padding, as ONNX Runtime does. By default
    /// all taps are one row, never skipped.
    public var kernelHeight = 1
    public var kernelWidth: Int
    public var padTop = 0, padLeft = 0
    public var inputHeight = Int.max / 4, inputWidth = Int.max / 4
    public var strideX = 1
    public var dilationY = 1, dilationX = 1

    /// Weights per output channel: the reduction length.
    public var reductionDepth: Int { fullTapCount * channelsPerTap + (tapCount - fullTapCount) * lastTapChannels }

    /// The kernel rows that read real input rows (not padding) at output row `outputRow`.
    public func kernelRows(outputRow: Int) -> Range<Int> {
        Self.kernelSpan(start: outputRow * strideY - padTop, size: kernelHeight, dilation: dilationY, inputSize: inputHeight)
    }

    /// The kernel columns that read real input columns at output column `outputColumn`.
    public func kernelColumns(outputColumn: Int) -> Range<Int> {
        Self.kernelSpan(start: outputColumn * strideX - padLeft, size: kernelWidth, dilation: dilationX, inputSize: inputWidth)
    }

    /// The kernel taps k (of `size`) along one axis whose input position start + k x dilation
    /// lies in 0..<inputSize.
    static func kernelSpan(start: Int, size: Int, dilation: Int, inputSize: Int) -> Range<Int> {
        if start >= 0 && start + (size - 1) * dilation < inputSize { return 0..<size }
        let first = start >= 0 ? 0 : (dilation - 1 - start) / dilation
        let end = min(size, (inputSize - start + dilation - 1) / dilation)
        return first..<max(first, end)
    }

    public init(input: UnsafePointer<Float>, inputRowStride: Int, inputPixelStride: Int, inputBlockStride: Int, strideY: Int,
                tapOffsets: UnsafePointer<Int>, tapCount: Int, channelsPerTap: Int, weights: UnsafePointer<Float>,
                outputHeight: Int, outputWidth: Int, output: UnsafeMutablePointer<Float>, outputRowStride: Int,
                outputBlockStride: Int, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, activation: Activation) {
        self.outputRowStride = outputRowStride
        self.outputBlockStride = outputBlockStride
        self.input = input
        self.inputRowStride = inputRowStride
        self.inputPixelStride = inputPixelStride
        self.inputBlockStride = inputBlockStride
        self.strideY = strideY
        self.tapOffsets = tapOffsets
        self.tapCount = tapCount
        self.channelsPerTap = channelsPerTap
        self.fullTapCount = tapCount
        self.lastTapChannels = channelsPerTap
        self.weights = weights
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.output = output
        self.bias = bias
        self.residual = residual
        self.residualRowStride = outputRowStride
        self.residualBlockStride = outputBlockStride
        self.activation = activation
        self.kernelWidth = max(1, tapCount)
    }
}

/// A pooling window on one plane: kernel, strides, padding (ONNX begin/end) and dilations.
public struct PoolWindow: Sendable {
    public var kernelHeight, kernelWidth, strideY, strideX, padTop, padLeft, padBottom, padRight, dilationY, dilationX: Int

    public init(kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int, padTop: Int, padLeft: Int, padBottom: Int,
                padRight: Int, dilationY: Int, dilationX: Int) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
        self.dilationY = dilationY
        self.dilationX = dilationX
    }
}
