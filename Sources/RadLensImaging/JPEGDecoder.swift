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
/// unwinds through Swift. Gray JPEGs decode to 1 channel, colour to RGB, and CMYK or YCCK
/// (print and scanner software writes them) to 1 gray channel, as Pillow's `convert("L")` does.
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
    public func header(of data: [UInt8], path: String? = nil) throws(DecodeError) -> (source: ImageSource, colour: JPEGColour) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = data.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard status == 0 else { throw failure(.corrupt, path: path, "corrupt JPEG header") }
        let colour: JPEGColour = switch colorspace {
        case Int32(TJCS_GRAY.rawValue): .gray
        case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue): .cmyk
        default: .rgb
        }
        let source = ImageSource(path: path, format: .jpeg, storedWidth: Int(width), storedHeight: Int(height), storedBitDepth: 8)
        return (source, colour)
    }

    /// Decodes `data` at `scale` into `image`, reusing `image`'s pixel storage.
    public func decode(_ data: [UInt8], path: String? = nil, scale: JPEGScale = .full,
                       limits: DecodeLimits = DecodeLimits(), into image: inout Image) throws(DecodeError) {
        let (source, colour) = try header(of: data, path: path)
        try limits.check(width: source.storedWidth, height: source.storedHeight, path: path)
        let width = scale.scaled(source.storedWidth), height = scale.scaled(source.storedHeight)
        let (decodedChannels, pixelFormat, channels) = switch colour {
        case .gray: (1, TJPF_GRAY, 1)
        case .rgb: (3, TJPF_RGB, 3)
        case .cmyk: (4, TJPF_CMYK, 1)
        }
        var samples = image.pixels.takeUInt8(count: width * height * decodedChannels)
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
        let status = data.withUnsafeBufferPointer { input in
            samples.withUnsafeMutableBufferPointer { output in
                tjDecompress2(handle, input.baseAddress, UInt(input.count), output.baseAddress,
                              Int32(width), 0, Int32(height), pixelFormat.rawValue, flags)
            }
        }
        guard status == 0 else {
            image = Image()
            throw failure(.corrupt, path: path, "corrupt JPEG")
        }
        if colour == .cmyk { Self.convertCMYKToGray(&samples, pixels: width * height) }
        image.pixels = .uint8(samples)
        image.width = width
        image.height = height
        image.channels = channels
        image.significantBits = 8
        image.source = source
    }
}

/// How a JPEG's samples are coloured, as decoding sees it.
public enum JPEGColour: Sendable, Equatable {
    case gray
    case rgb
    /// CMYK, stored as such or as YCCK, with Adobe's polarity (255 = no ink): the convention of
    /// Photoshop, of libjpeg's own CMYK output, and the one Pillow assumes for every CMYK JPEG.
    case cmyk
}

extension JPEGDecoder {
    /// Converts Adobe-polarity CMYK pixels (4 samples each) in place to gray, exactly as Pillow
    /// does: ink = 255 - sample, R = round((255 - C)(255 - K) / 255) and so on, then ITU-R 601
    /// luma in 16-bit fixed point.
    static func convertCMYKToGray(_ samples: inout [UInt8], pixels: Int) {
        @inline(__always) func mulDiv255(_ a: Int, _ b: Int) -> Int {
            let t = a * b + 128
            return ((t >> 8) + t) >> 8
        }
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<pixels {
                // With Adobe polarity, 255 - ink is the stored sample itself.
                let paper = Int(buffer[4 * i + 3])
                let r = mulDiv255(Int(buffer[4 * i]), paper), g = mulDiv255(Int(buffer[4 * i + 1]), paper)
                let b = mulDiv255(Int(buffer[4 * i + 2]), paper)
                buffer[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        }
        samples.removeLast(samples.count - pixels)
    }
}
