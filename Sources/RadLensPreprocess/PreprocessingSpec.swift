/// The exact preprocessing a model was trained with, as its manifest states it.
///
/// The steps run in this order: colour to gray, scale to [0, 1], resize with an antialiased
/// bilinear filter (squashed, or keeping the aspect ratio with black borders), map to the
/// model's range (`scale`), normalise per channel, and replicate the gray plane into each of
/// the model's input channels. `Training/radlens_preprocess.py` is the Python reference; tests
/// check Swift against it.
public struct PreprocessingSpec: Sendable, Codable, Equatable {
    /// The smallest side a decoder may reduce an image to (by JPEG DCT scaling) before this
    /// preprocessing without visibly changing the result: twice the model's input side.
    public var decodeTargetSize: Int { 2 * max(resize.width, resize.height) }

    /// The value ranges models are trained on.
    public enum Scale: String, Sendable, Codable, CaseIterable {
        /// [0, 1]: divide by the largest value the samples can hold (2^bits - 1).
        case unit
        /// [0, 255] (ImageNet-style models).
        case byte = "255"
        /// [-1024, 1024], as TorchXRayVision's models expect.
        case xrv
    }

    /// Luma weights for R, G, B (ITU-R BT.601: 0.299, 0.587, 0.114).
    public var colorToGray: [Float]
    public var scale: Scale
    public var resize: ResizeSpec
    /// Per input channel (one value stands for all channels); in manifests a number or a list.
    public var mean: [Float]
    public var std: [Float]

    public init(colorToGray: [Float] = [0.299, 0.587, 0.114], scale: Scale = .unit, resize: ResizeSpec, mean: [Float], std: [Float]) {
        self.colorToGray = colorToGray
        self.scale = scale
        self.resize = resize
        self.mean = mean
        self.std = std
    }

    public init(colorToGray: [Float] = [0.299, 0.587, 0.114], scale: Scale = .unit, resize: ResizeSpec, mean: Float, std: Float) {
        self.init(colorToGray: colorToGray, scale: scale, resize: resize, mean: [mean], std: [std])
    }

    enum CodingKeys: String, CodingKey { case colorToGray, scale, resize, mean, std }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        colorToGray = try container.decodeIfPresent([Float].self, forKey: .colorToGray) ?? [0.299, 0.587, 0.114]
        let scaleName = try container.decodeIfPresent(String.self, forKey: .scale) ?? "unit"
        guard let scale = Scale(rawValue: scaleName) else {
            throw DecodingError.dataCorruptedError(forKey: .scale, in: container,
                                                   debugDescription: "scale \"\(scaleName)\" is not one of \(Scale.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.scale = scale
        resize = try container.decode(ResizeSpec.self, forKey: .resize)
        func values(_ key: CodingKeys) throws -> [Float] {
            if let one = try? container.decode(Float.self, forKey: key) { return [one] }
            return try container.decode([Float].self, forKey: key)
        }
        mean = try values(.mean)
        std = try values(.std)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(colorToGray, forKey: .colorToGray)
        try container.encode(scale.rawValue, forKey: .scale)
        try container.encode(resize, forKey: .resize)
        if mean.count == 1 { try container.encode(mean[0], forKey: .mean) } else { try container.encode(mean, forKey: .mean) }
        if std.count == 1 { try container.encode(std[0], forKey: .std) } else { try container.encode(std, forKey: .std) }
    }

    /// Throws when the spec asks for a step RadLens does not implement, or for `channels`
    /// input channels it cannot fill.
    public func validate(channels: Int = 1) throws(PreprocessingError) {
        guard colorToGray.count == 3 else { throw PreprocessingError("colorToGray needs 3 weights, has \(colorToGray.count)") }
        guard resize.method == "bilinear-antialias" else {
            throw PreprocessingError("resize method \"\(resize.method)\" is not supported (only \"bilinear-antialias\")")
        }
        guard channels == 1 || channels == 3 else { throw PreprocessingError("models with \(channels) input channels are not supported (1 or 3)") }
        for (name, values) in [("mean", mean), ("std", std)] where values.count != 1 && values.count != channels {
            throw PreprocessingError("\(name) has \(values.count) values; give 1 or one per input channel (\(channels))")
        }
        guard resize.width > 0, resize.height > 0, std.allSatisfy({ $0 > 0 }) else { throw PreprocessingError("resize size and std must be positive") }
    }
}

/// Target size and filter of the resize step.
public struct ResizeSpec: Sendable, Codable, Equatable {
    public var method: String
    public var width: Int
    public var height: Int
    public var keepAspect: Bool

    public init(method: String = "bilinear-antialias", width: Int, height: Int, keepAspect: Bool = false) {
        self.method = method
        self.width = width
        self.height = height
        self.keepAspect = keepAspect
    }
}

/// A preprocessing spec RadLens cannot follow.
public struct PreprocessingError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
