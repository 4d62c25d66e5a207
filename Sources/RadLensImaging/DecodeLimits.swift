/// Bounds that keep a hostile or absurd file from exhausting memory.
public struct DecodeLimits: Sendable, Equatable {
    /// The largest image accepted, in pixels (width x height). Default: 200 megapixels.
    public var maxPixels: Int

    public init(maxPixels: Int = 200_000_000) {
        self.maxPixels = maxPixels
    }

    /// Throws when the dimensions are zero or over the limit.
    func check(width: Int, height: Int, path: String?) throws(DecodeError) {
        guard width > 0, height > 0 else {
            throw DecodeError(.badDimensions, path: path, reason: "image has a zero dimension (\(width)x\(height))")
        }
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxPixels, width <= maxPixels, height <= maxPixels else {
            throw DecodeError(.badDimensions, path: path,
                              reason: "image is \(width)x\(height) pixels, over the limit of \(maxPixels) pixels (see --max-megapixels)")
        }
    }
}
