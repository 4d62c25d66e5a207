/// How to decode: limits and, for JPEG, the DCT-domain scale.
public struct DecodeOptions: Sendable, Equatable {
    public var limits: DecodeLimits
    /// A fixed JPEG scale; ignored when `targetSize` is set.
    public var jpegScale: JPEGScale
    /// When set, JPEGs decode at the strongest DCT reduction that keeps both sides at least this long.
    public var targetSize: Int?

    public init(limits: DecodeLimits = DecodeLimits(), jpegScale: JPEGScale = .full, targetSize: Int? = nil) {
        self.limits = limits
        self.jpegScale = jpegScale
        self.targetSize = targetSize
    }
}

/// Decodes any supported file, choosing the decoder by the file's magic bytes.
///
/// Holds reusable buffers and a TurboJPEG handle, so keep one per thread and decode many
/// files with it.
///
/// ```swift
/// let decoder = ImageDecoder()
/// var image = Image()
/// for path in paths { try decoder.decode(contentsOf: path, into: &image) }
/// ```
public final class ImageDecoder {
    public var options: DecodeOptions
    private let jpeg = JPEGDecoder()
    private let png = PNGDecoder()
    private var fileBytes: [UInt8] = []

    public init(options: DecodeOptions = DecodeOptions()) {
        self.options = options
    }

    /// Decodes the file at `path` into `image`, reusing its storage.
    public func decode(contentsOf path: String, into image: inout Image) throws(DecodeError) {
        try FileReader.read(path, into: &fileBytes)
        try decode(fileBytes, path: path, into: &image)
    }

    /// Decodes the file at `path`.
    public func decode(contentsOf path: String) throws(DecodeError) -> Image {
        var image = Image()
        try decode(contentsOf: path, into: &image)
        return image
    }

    /// Decodes in-memory file bytes; `path` only names the input in errors and provenance.
    public func decode(_ data: [UInt8], path: String? = nil, into image: inout Image) throws(DecodeError) {
        switch try Self.format(of: data, path: path) {
        case .png:
            try png.decode(data, path: path, limits: options.limits, into: &image)
        case .jpeg:
            var scale = options.jpegScale
            if let target = options.targetSize {
                let header = try jpeg.header(of: data, path: path).source
                scale = .largestReduction(width: header.storedWidth, height: header.storedHeight, keepingAtLeast: target)
            }
            try jpeg.decode(data, path: path, scale: scale, limits: options.limits, into: &image)
        case .dicom:
            let file = try DICOMFile(bytes: data, path: path)
            image = try file.image(frame: 0, rendering: .automatic, limits: options.limits, jpeg: jpeg)
            image.source.dicom = file.metadata
            image.source.dicomStudy = file.studyContext
        }
    }

    /// The format of `data`, or an error saying why it is none RadLens reads.
    public static func format(of data: [UInt8], path: String?) throws(DecodeError) -> ImageFormat {
        guard !data.isEmpty else { throw DecodeError(.empty, path: path, reason: "file is empty") }
        guard let format = ImageFormat.sniff(data) else {
            throw DecodeError(.unknownFormat, path: path, reason: "not a PNG or JPEG or DICOM file (unrecognised leading bytes)")
        }
        return format
    }
}
