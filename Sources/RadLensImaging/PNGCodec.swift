import _RadLensPNGShim

/// Decodes PNG files through libpng (via the C shim that owns libpng's setjmp error path).
///
/// Every colour type and bit depth is accepted: palette expands to RGB(A), 1/2/4-bit gray to
/// 8 bits, tRNS to an alpha channel, Adam7 interlacing is undone. 16-bit samples are kept
/// exactly as stored: no gamma, no scaling.
public struct PNGDecoder: Sendable {
    public init() {}

    /// Decodes `data` into `image`, reusing `image`'s pixel storage.
    public func decode(_ data: [UInt8], path: String? = nil, limits: DecodeLimits = DecodeLimits(),
                       into image: inout Image) throws(DecodeError) {
        var info = try readInfo(data, path: path)
        try limits.check(width: Int(info.width), height: Int(info.height), path: path)
        let count = Int(info.width) * Int(info.height) * Int(info.channels)
        var message = PNGErrorMessage()
        let status: Int32
        if info.bit_depth == 16 {
            var samples = image.pixels.takeUInt16(count: count)
            status = data.withUnsafeBufferPointer { input in
                samples.withUnsafeMutableBytes { output in
                    message.withBuffer { rl_png_decode(input.baseAddress, input.count, output.baseAddress, output.count, &info, $0) }
                }
            }
            image.pixels = .uint16(samples)
        } else {
            var samples = image.pixels.takeUInt8(count: count)
            status = data.withUnsafeBufferPointer { input in
                samples.withUnsafeMutableBytes { output in
                    message.withBuffer { rl_png_decode(input.baseAddress, input.count, output.baseAddress, output.count, &info, $0) }
                }
            }
            image.pixels = .uint8(samples)
        }
        guard status == Int32(RL_PNG_OK) else {
            image = Image()
            throw DecodeError(.corrupt, path: path, reason: "corrupt PNG: \(message.text)")
        }
        image.width = Int(info.width)
        image.height = Int(info.height)
        image.channels = Int(info.channels)
        image.significantBits = info.significant_bits > 0 ? Int(info.significant_bits) : Int(info.bit_depth)
        image.source = ImageSource(path: path, format: .png, storedWidth: image.width,
                                   storedHeight: image.height, storedBitDepth: Int(info.stored_bit_depth))
    }

    private func readInfo(_ data: [UInt8], path: String?) throws(DecodeError) -> rl_png_info {
        var info = rl_png_info()
        var message = PNGErrorMessage()
        let status = data.withUnsafeBufferPointer { input in
            message.withBuffer { rl_png_read_info(input.baseAddress, input.count, &info, $0) }
        }
        switch Int(status) {
        case Int(RL_PNG_OK): return info
        case Int(RL_PNG_NOT_PNG): throw DecodeError(.unknownFormat, path: path, reason: message.text)
        default: throw DecodeError(.corrupt, path: path, reason: "corrupt PNG: \(message.text)")
        }
    }
}

/// Encodes 8- or 16-bit gray, gray+alpha, RGB and RGBA images as PNG, for previews and heatmaps.
public struct PNGEncoder: Sendable {
    /// zlib level, 0 (fastest) to 9 (smallest).
    public var compressionLevel: Int

    public init(compressionLevel: Int = 6) {
        self.compressionLevel = compressionLevel
    }

    /// The PNG bytes of `image`.
    public func encode(_ image: Image) throws(DecodeError) -> [UInt8] {
        var message = PNGErrorMessage()
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status: Int32
        switch image.pixels {
        case .uint8(let samples):
            status = samples.withUnsafeBytes { pixels in
                message.withBuffer {
                    rl_png_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                                  8, Int32(compressionLevel), &output, &size, $0)
                }
            }
        case .uint16(let samples):
            status = samples.withUnsafeBytes { pixels in
                message.withBuffer {
                    rl_png_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                                  16, Int32(compressionLevel), &output, &size, $0)
                }
            }
        }
        guard status == Int32(RL_PNG_OK), let output else {
            throw DecodeError(.unsupported, path: image.source.path, reason: "cannot encode PNG: \(message.text)")
        }
        defer { rl_png_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

/// The fixed-size message buffer the C shim fills on failure.
private struct PNGErrorMessage {
    private var bytes = [CChar](repeating: 0, count: Int(RL_PNG_ERROR_MESSAGE_SIZE))

    mutating func withBuffer<R>(_ body: (UnsafeMutablePointer<CChar>) -> R) -> R {
        bytes.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    var text: String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
