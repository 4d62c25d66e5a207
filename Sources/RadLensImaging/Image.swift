/// A decoded image at full precision: what the decode stage hands to preprocessing.
///
/// Samples are interleaved (`channels` per pixel), rows top to bottom. 8-bit sources keep
/// `UInt8` samples; 16-bit sources keep `UInt16` samples exactly as stored, so a 12-bit
/// radiograph in a 16-bit PNG is never squeezed to 8 bits.
///
/// ```swift
/// let image = try ImageDecoder().decode(contentsOf: "chest.png")
/// print(image.width, image.height, image.bitDepth)
/// ```
public struct Image: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Interleaved samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// The samples.
    public var pixels: PixelBuffer
    /// Bits that carry information (from PNG sBIT or DICOM Bits Stored); equals `bitDepth` when unknown.
    public var significantBits: Int
    /// Where the pixels came from.
    public var source: ImageSource

    public init(width: Int, height: Int, channels: Int, pixels: PixelBuffer,
                significantBits: Int? = nil, source: ImageSource = ImageSource()) {
        precondition(pixels.count == width * height * channels, "pixel count does not match dimensions")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.significantBits = significantBits ?? pixels.bitDepth
        self.source = source
    }

    /// An empty image, handy as a reusable decode target.
    public init() {
        self.init(width: 0, height: 0, channels: 1, pixels: .uint8([]))
    }

    /// Bits per stored sample: 8 or 16.
    public var bitDepth: Int { pixels.bitDepth }

    /// Number of pixels (width x height).
    public var pixelCount: Int { width * height }
}

/// Interleaved samples, 8 or 16 bits each.
public enum PixelBuffer: Sendable, Equatable {
    case uint8([UInt8])
    case uint16([UInt16])

    /// Bits per sample.
    public var bitDepth: Int {
        switch self {
        case .uint8: 8
        case .uint16: 16
        }
    }

    /// Number of samples.
    public var count: Int {
        switch self {
        case .uint8(let samples): samples.count
        case .uint16(let samples): samples.count
        }
    }

    /// The sample at `index` widened to `Int`.
    public subscript(index: Int) -> Int {
        switch self {
        case .uint8(let samples): Int(samples[index])
        case .uint16(let samples): Int(samples[index])
        }
    }
}

/// Provenance of a decoded image.
public struct ImageSource: Sendable, Equatable {
    /// The path as the user gave it, or nil for in-memory data.
    public var path: String?
    /// The container format.
    public var format: ImageFormat?
    /// Width and height as stored in the file, before any decode-time scaling.
    public var storedWidth: Int
    public var storedHeight: Int
    /// Bits per sample as stored in the file (1, 2, 4, 8, 12, 16).
    public var storedBitDepth: Int
    /// DICOM input: the report-safe attributes, read with the pixels (no second parse).
    public var dicom: DICOMMetadata?
    /// DICOM input: the patient and study to copy into DICOM results. Holds patient
    /// identifiers: for SR and SC only, never for reports or logs.
    public var dicomStudy: DICOMStudyContext?

    public init(path: String? = nil, format: ImageFormat? = nil,
                storedWidth: Int = 0, storedHeight: Int = 0, storedBitDepth: Int = 0) {
        self.path = path
        self.format = format
        self.storedWidth = storedWidth
        self.storedHeight = storedHeight
        self.storedBitDepth = storedBitDepth
    }
}
