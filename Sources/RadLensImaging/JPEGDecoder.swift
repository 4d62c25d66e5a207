import CTurboJPEG

/// A DCT-domain scale for JPEG decoding: libjpeg-turbo produces the reduced image directly
/// from the coefficients, far faster than decoding at full size and resizing.
public enum JPEGScale: Int, Sendable, CaseIterable, Codable {
    case full = 1
    case half = 2
    case quarter = 4
    case eighth = 8

    /// The scaled length of a dimension, rounded up as libjpeg does.
    public func scaled(_ length: Int) -> Int { (length + rawValue - 1) / rawValue }

    /// The strongest reduction that keeps both dimensions at least `minimum` pixels.
    public static func largestReduction(width: Int, height: Int, keepingAtLeast minimum: Int) -> JPEGScale {
        for scale in [JPEGScale.eighth, .quarter, .half] where min(scale.scaled(width), scale.scaled(height)) >= minimum {
            return scale
        }
        return .full
    }
}

/// Decodes baseline and progressive JPEG through libjpeg-turbo's TurboJPEG API, which reports
/// errors as return codes (its own setjmp stays inside the library), so no C error ever
/// unwinds through Swift. Gray JPEGs decode to 1 channel, colour to RGB.
///
/// Decoding uses the accurate integer IDCT and fancy upsampling, the same settings as
/// `djpeg`'s defaults, so pixels match it bit for bit. Warnings such as "premature end of
/// data" are errors here: a truncated radiograph is not silently padded with gray.
///
/// One decoder holds one TurboJPEG handle: use one per thread.
public final class JPEGDecoder {
    private var handle: tjhandle

    public init() {
        handle = Self.newHandle()
    }

    deinit { tjDestroy(handle) }

    private static func newHandle() -> tjhandle {
        guard let handle = tjInitDecompress() else { fatalError("tjInitDecompress failed: out of memory") }
        return handle
    }

    /// The error TurboJPEG reported, after which the handle is replaced: a handle that has
    /// seen a corrupt stream can misread the next valid one.
    private func failure(_ kind: DecodeError.Kind, path: String?, _ what: String) -> DecodeError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        tjDestroy(handle)
        handle = Self.newHandle()
        return DecodeError(kind, path: path, reason: "\(what): \(message)")
    }

    /// Reads the header only.
    public func header(of data: [UInt8], path: String? = nil) throws(DecodeError) -> (source: ImageSource, gray: Bool) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = data.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard status == 0 else { throw failure(.corrupt, path: path, "corrupt JPEG header") }
        if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
            throw DecodeError(.unsupported, path: path, reason: "CMYK JPEG is not supported")
        }
        let source = ImageSource(path: path, format: .jpeg, storedWidth: Int(width), storedHeight: Int(height), storedBitDepth: 8)
        return (source, colorspace == Int32(TJCS_GRAY.rawValue))
    }

    /// Decodes `data` at `scale` into `image`, reusing `image`'s pixel storage.
    public func decode(_ data: [UInt8], path: String? = nil, scale: JPEGScale = .full,
                       limits: DecodeLimits = DecodeLimits(), into image: inout Image) throws(DecodeError) {
        let (source, gray) = try header(of: data, path: path)
        try limits.check(width: source.storedWidth, height: source.storedHeight, path: path)
        let width = scale.scaled(source.storedWidth), height = scale.scaled(source.storedHeight)
        let channels = gray ? 1 : 3
        var samples = image.pixels.takeUInt8(count: width * height * channels)
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
        let status = data.withUnsafeBufferPointer { input in
            samples.withUnsafeMutableBufferPointer { output in
                tjDecompress2(handle, input.baseAddress, UInt(input.count), output.baseAddress,
                              Int32(width), 0, Int32(height), gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue, flags)
            }
        }
        guard status == 0 else {
            image = Image()
            throw failure(.corrupt, path: path, "corrupt JPEG")
        }
        image.pixels = .uint8(samples)
        image.width = width
        image.height = height
        image.channels = channels
        image.significantBits = 8
        image.source = source
    }
}
