/// The exact preprocessing a model was trained with, as its manifest states it.
///
/// The steps run in this order: colour to gray, scale to [0, 1], squash-resize with an
/// antialiased bilinear filter, normalise. `Training/radlens_preprocess.py` is the Python
/// reference the model was trained with; a test checks Swift against it.
public struct PreprocessingSpec: Sendable, Codable, Equatable {
    /// Luma weights for R, G, B (ITU-R BT.601: 0.299, 0.587, 0.114).
    public var colorToGray: [Float]
    /// "unit": divide by the largest value the samples can hold (2^bits - 1).
    public var scale: String
    public var resize: ResizeSpec
    public var mean: Float
    public var std: Float

    public init(colorToGray: [Float] = [0.299, 0.587, 0.114], scale: String = "unit", resize: ResizeSpec, mean: Float, std: Float) {
        self.colorToGray = colorToGray
        self.scale = scale
        self.resize = resize
        self.mean = mean
        self.std = std
    }

    /// Throws when the spec asks for a step RadLens does not implement.
    public func validate() throws(PreprocessingError) {
        guard colorToGray.count == 3 else { throw PreprocessingError("colorToGray needs 3 weights, has \(colorToGray.count)") }
        guard scale == "unit" else { throw PreprocessingError("scale \"\(scale)\" is not supported (only \"unit\")") }
        guard resize.method == "bilinear-antialias" else {
            throw PreprocessingError("resize method \"\(resize.method)\" is not supported (only \"bilinear-antialias\")")
        }
        guard !resize.keepAspect else { throw PreprocessingError("keepAspect=true is not supported") }
        guard resize.width > 0, resize.height > 0, std > 0 else { throw PreprocessingError("resize size and std must be positive") }
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
