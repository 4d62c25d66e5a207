import RadLensImaging

/// Turns decoded images into model input exactly as the model was trained: gray, [0, 1],
/// antialiased resize (squashed, or kept in aspect with black borders), the model's value
/// range, per-channel normalisation, the gray plane replicated into each input channel.
/// Reuses its buffers: keep one per thread.
///
/// ```swift
/// let preprocessor = try Preprocessor(spec, channels: 3)
/// var input = [Float](repeating: 0, count: preprocessor.outputCount)
/// input.withUnsafeMutableBufferPointer { preprocessor.apply(image, into: $0.baseAddress!) }
/// ```
public final class Preprocessor {
    public let spec: PreprocessingSpec
    /// Input channels of the model (1 or 3).
    public let channels: Int
    private let gray: GrayConversion
    private let resize: AntialiasedResize
    private var fitted: [Float] = []

    public init(_ spec: PreprocessingSpec, channels: Int = 1) throws(PreprocessingError) {
        try spec.validate(channels: channels)
        self.spec = spec
        self.channels = channels
        gray = GrayConversion(weights: spec.colorToGray)
        resize = AntialiasedResize(width: spec.resize.width, height: spec.resize.height)
    }

    /// Floats written per image: channels x height x width.
    public var outputCount: Int { channels * spec.resize.width * spec.resize.height }

    /// See `PreprocessingSpec.decodeTargetSize`.
    public var decodeTargetSize: Int { spec.decodeTargetSize }

    /// The size the image is resized to inside the W x H input: the whole input when
    /// squashing; with keepAspect, the largest size of the image's aspect that fits (rounded).
    public static func fittedSize(imageWidth: Int, imageHeight: Int, spec: ResizeSpec) -> (width: Int, height: Int) {
        guard spec.keepAspect, imageWidth > 0, imageHeight > 0 else { return (spec.width, spec.height) }
        let scale = min(Double(spec.width) / Double(imageWidth), Double(spec.height) / Double(imageHeight))
        return (max(1, min(spec.width, Int((Double(imageWidth) * scale).rounded()))),
                max(1, min(spec.height, Int((Double(imageHeight) * scale).rounded()))))
    }

    /// Writes the normalised [channels, height, width] model input for `image` to `output`.
    public func apply(_ image: Image, into output: UnsafeMutablePointer<Float>) {
        let width = spec.resize.width, height = spec.resize.height, area = width * height
        let fit = Self.fittedSize(imageWidth: image.width, imageHeight: image.height, spec: spec.resize)
        // Gray rows are made as the resize reads them: no gray plane of the whole image.
        let grayRows = { [gray] (rows: Range<Int>, block: UnsafeMutablePointer<Float>) in gray.apply(image, rows: rows, into: block) }
        if fit == (width, height) {
            resize.apply(inputWidth: image.width, inputHeight: image.height, into: output, rows: grayRows)
        } else {
            // Keep the aspect: resize into the fitted size, centre it on black.
            if fitted.count < fit.width * fit.height { fitted = [Float](repeating: 0, count: fit.width * fit.height) }
            fitted.withUnsafeMutableBufferPointer { small in
                AntialiasedResize(width: fit.width, height: fit.height)
                    .apply(inputWidth: image.width, inputHeight: image.height, into: small.baseAddress!, rows: grayRows)
                let left = (width - fit.width) / 2, top = (height - fit.height) / 2
                for i in 0..<area { output[i] = 0 }
                for y in 0..<fit.height {
                    for x in 0..<fit.width { output[(top + y) * width + left + x] = small[y * fit.width + x] }
                }
            }
        }
        // The model's range, then per-channel normalisation into each channel plane (channel 0 last:
        // it is the source of the others).
        let (gain, offset): (Float, Float) = switch spec.scale {
        case .unit: (1, 0)
        case .byte: (255, 0)
        case .xrv: (2048, -1024)
        }
        for channel in stride(from: channels - 1, through: 0, by: -1) {
            let mean = spec.mean[spec.mean.count == 1 ? 0 : channel], std = spec.std[spec.std.count == 1 ? 0 : channel]
            let plane = output + channel * area
            for i in 0..<area { plane[i] = (output[i] * gain + offset - mean) / std }
        }
    }

    /// The normalised input for `image` as a new array.
    public func apply(_ image: Image) -> [Float] {
        var result = [Float](repeating: 0, count: outputCount)
        result.withUnsafeMutableBufferPointer { apply(image, into: $0.baseAddress!) }
        return result
    }
}
