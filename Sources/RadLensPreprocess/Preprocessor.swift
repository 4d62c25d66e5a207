import RadLensImaging

/// Turns decoded images into model input exactly as the model was trained: gray, [0, 1],
/// antialiased squash-resize, normalisation. Reuses its buffers: keep one per thread.
///
/// ```swift
/// let preprocessor = try Preprocessor(spec)
/// var input = [Float](repeating: 0, count: preprocessor.outputCount)
/// input.withUnsafeMutableBufferPointer { preprocessor.apply(image, into: $0.baseAddress!) }
/// ```
public final class Preprocessor {
    public let spec: PreprocessingSpec
    private let gray: GrayConversion
    private let resize: AntialiasedResize
    private var plane: [Float] = []

    public init(_ spec: PreprocessingSpec) throws(PreprocessingError) {
        try spec.validate()
        self.spec = spec
        gray = GrayConversion(weights: spec.colorToGray)
        resize = AntialiasedResize(width: spec.resize.width, height: spec.resize.height)
    }

    /// Floats written per image: height x width (one channel).
    public var outputCount: Int { spec.resize.width * spec.resize.height }

    /// The smallest side a decoder may reduce an image to (by JPEG DCT scaling) before this
    /// preprocessing without visibly changing the result: twice the model's input side.
    public var decodeTargetSize: Int { 2 * max(spec.resize.width, spec.resize.height) }

    /// Writes the normalised [height, width] model input for `image` to `output`.
    public func apply(_ image: Image, into output: UnsafeMutablePointer<Float>) {
        if plane.count < image.pixelCount { plane = [Float](repeating: 0, count: image.pixelCount) }
        plane.withUnsafeMutableBufferPointer { buffer in
            gray.apply(image, into: buffer.baseAddress!)
            resize.apply(buffer.baseAddress!, inputWidth: image.width, inputHeight: image.height, into: output)
        }
        let mean = spec.mean, std = spec.std
        for i in 0..<outputCount { output[i] = (output[i] - mean) / std }
    }

    /// The normalised input for `image` as a new array.
    public func apply(_ image: Image) -> [Float] {
        var result = [Float](repeating: 0, count: outputCount)
        result.withUnsafeMutableBufferPointer { apply(image, into: $0.baseAddress!) }
        return result
    }
}
