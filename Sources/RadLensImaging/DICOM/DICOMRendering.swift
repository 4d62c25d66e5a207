import Glibc

/// How stored DICOM values become image samples (PS3.3 C.11 / PS3.4 N.2 pipeline order:
/// stored value, Modality LUT, VOI LUT, Presentation LUT / MONOCHROME1 inversion).
public enum DICOMRendering: Sendable, Equatable {
    /// Stored values as they are: 8-bit when Bits Allocated is 8 and unsigned, else 16-bit; signed
    /// values are offset by 2^(Bits Stored - 1). No LUT, no inversion.
    case raw
    /// Modality values (Rescale Slope/Intercept or Modality LUT Sequence), rounded, offset to
    /// unsigned 16-bit (see `DICOMRenderedImage.value(ofSample:)`); MONOCHROME1 inverted so bright = dense.
    case modality
    /// A VOI window on modality values to 8 bits, with the dataset's VOI LUT Function; MONOCHROME2 convention.
    case window(center: Double, width: Double)
    /// The dataset's first Window Center/Width (or first VOI LUT Sequence item) to 8 bits; without
    /// either, the frame's modality range to 8 bits.
    case defaultWindow
    /// The modality values Bits Stored allows (through the Modality LUT) scaled linearly to
    /// 0...65535, MONOCHROME2 convention: the same mapping for every image of a kind, and an 8-bit
    /// image comes out as its samples times 257.
    case fullRange
    /// `.defaultWindow` when the dataset defines a window or VOI LUT, else `.fullRange`: what
    /// `ImageDecoder` gives the pipeline.
    case automatic
}

/// A rendered frame and what is needed to recover modality values from its samples.
public struct DICOMRenderedImage: Sendable {
    public var image: Image
    /// With `.modality` and `.raw`: value = inverted ? valueOrigin - sample : sample + valueOrigin.
    public var valueOrigin: Int
    /// The samples run opposite to the values (MONOCHROME1 or an INVERSE Presentation LUT Shape).
    public var inverted: Bool

    /// The modality (or, for `.raw`, stored) value of a sample of a `.modality`/`.raw` rendering.
    public func value(ofSample sample: Int) -> Int { inverted ? valueOrigin - sample : sample + valueOrigin }
}

/// Min, max and mean of a frame's modality values (stored samples for colour images).
public struct DICOMStatistics: Sendable, Equatable, Codable {
    public var min: Double
    public var max: Double
    public var mean: Double
}

/// Stored value to modality value: Rescale Slope/Intercept or a Modality LUT (PS3.3 C.11.1).
struct ModalityTransform {
    var slope = 1.0
    var intercept = 0.0
    var lut: LookupTable?

    /// The identity: modality value = stored value.
    init() {}

    init(_ dataset: DICOMDataset, pixel: DICOMPixelDescription) {
        if let item = dataset.sequence(.modalityLUTSequence).first, let table = LookupTable(item, signedFirst: pixel.signed) {
            lut = table
        } else {
            slope = dataset.double(.rescaleSlope) ?? 1
            intercept = dataset.double(.rescaleIntercept) ?? 0
            if slope == 0 || !slope.isFinite || !intercept.isFinite { slope = 1; intercept = 0 }
        }
    }

    func callAsFunction(_ stored: Int) -> Double {
        if let lut { return Double(lut[stored]) }
        return Double(stored) * slope + intercept
    }

    /// The modality values stored values in `range` can take.
    func range(of stored: ClosedRange<Int>) -> ClosedRange<Double> {
        if let lut {
            let slice = lut.values(over: stored)
            return Double(slice.min() ?? 0)...Double(slice.max() ?? 0)
        }
        let a = self(stored.lowerBound), b = self(stored.upperBound)
        return Swift.min(a, b)...Swift.max(a, b)
    }
}

/// A LUT from a Modality/VOI LUT Sequence item: LUT Descriptor (entries, first mapped, bits) and LUT Data.
struct LookupTable {
    var first: Int
    var data: [Int]
    var bits: Int

    init?(_ item: DICOMDataset, signedFirst: Bool) {
        let descriptor = item.doubles(.lutDescriptor).map { saturatingInt($0) }
        guard descriptor.count == 3, (0...65535).contains(descriptor[0]), (-65536...65535).contains(descriptor[1]) else { return nil }
        let entries = descriptor[0] == 0 ? 65536 : descriptor[0]
        var first = descriptor[1]
        if signedFirst && first >= 32768 { first -= 65536 }
        var words = item.words(.lutData).map { Int($0) }
        if let element = item[.lutData], element.vr == .OB || (descriptor[2] <= 8 && words.count * 2 == entries) {
            words = item.bytes[element.valueRange].map { Int($0) }  // 8-bit entries packed in bytes
        }
        guard !words.isEmpty else { return nil }
        self.first = first
        self.data = Array(words.prefix(entries))
        self.bits = max(1, min(16, descriptor[2]))
    }

    /// The entry for `value`, clamping below the first and above the last entry.
    subscript(value: Int) -> Int {
        data[min(max(value - first, 0), data.count - 1)]
    }

    func values(over range: ClosedRange<Int>) -> ArraySlice<Int> {
        let low = min(max(range.lowerBound - first, 0), data.count - 1)
        let high = min(max(range.upperBound - first, 0), data.count - 1)
        return data[low...high]
    }
}

/// Modality value to an 8-bit display value: a window with its function, or a VOI LUT (PS3.3 C.11.2).
enum VOITransform {
    case window(center: Double, width: Double, function: String)
    case lut(LookupTable)

    /// The display value in 0...255 for modality value `x`.
    func callAsFunction(_ x: Double) -> Double {
        switch self {
        case .window(let c, let w, let function):
            switch function {
            case "SIGMOID":
                return 255 / (1 + exp(-4 * (x - c) / max(w, 1e-9)))
            case "LINEAR_EXACT":
                let w = max(w, 1e-9)
                if x <= c - w / 2 { return 0 }
                if x > c + w / 2 { return 255 }
                return ((x - c) / w + 0.5) * 255
            default:  // LINEAR (C.11.2.1.2.1)
                let w = max(w, 1)
                if x <= c - 0.5 - (w - 1) / 2 { return 0 }
                if x > c - 0.5 + (w - 1) / 2 { return 255 }
                return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
            }
        case .lut(let table):
            return Double(table[saturatingInt(x)]) / Double((1 << table.bits) - 1) * 255
        }
    }
}

extension DICOMFile {
    /// Decodes frame `frame` (0-based) and renders it; see `DICOMRendering`.
    public func image(frame: Int = 0, rendering: DICOMRendering = .automatic) throws(DecodeError) -> Image {
        try render(frame: frame, rendering: rendering).image
    }

    /// As `image(frame:rendering:)`, with a pixel limit and a JPEG decoder to reuse.
    public func image(frame: Int, rendering: DICOMRendering, limits: DecodeLimits, jpeg: JPEGDecoder? = nil) throws(DecodeError) -> Image {
        try render(frame: frame, rendering: rendering, limits: limits, jpeg: jpeg).image
    }

    /// Decodes and renders frame `frame`, returning also how samples map back to values.
    public func render(frame index: Int = 0, rendering: DICOMRendering = .automatic,
                       limits: DecodeLimits = DecodeLimits(), jpeg: JPEGDecoder? = nil) throws(DecodeError) -> DICOMRenderedImage {
        let pixel = try pixelDescription(limits: limits)
        let frame = try self.frame(index, limits: limits, jpeg: jpeg)
        let source = ImageSource(path: path, format: .dicom, storedWidth: pixel.columns, storedHeight: pixel.rows,
                                 storedBitDepth: pixel.bitsStored)
        if rendering == .raw { return raw(frame, pixel: pixel, source: source) }
        if frame.samplesPerPixel == 3 || pixel.photometric == "PALETTE COLOR" {
            return DICOMRenderedImage(image: try color(frame, pixel: pixel, source: source), valueOrigin: 0, inverted: false)
        }
        guard pixel.isMonochrome else {
            throw DecodeError(.unsupported, path: path, reason: "DICOM: photometric interpretation \(pixel.photometric) is not supported")
        }
        return try monochrome(frame, pixel: pixel, rendering: rendering, source: source)
    }

    /// Min, max and mean of frame `frame` after the modality LUT (stored samples for colour).
    public func statistics(frame index: Int = 0, limits: DecodeLimits = DecodeLimits()) throws(DecodeError) -> DICOMStatistics {
        let pixel = try pixelDescription(limits: limits)
        let frame = try self.frame(index, limits: limits)
        let modality = frame.samplesPerPixel == 1 && pixel.isMonochrome ? ModalityTransform(dataset, pixel: pixel) : ModalityTransform()
        guard !frame.values.isEmpty else { return DICOMStatistics(min: 0, max: 0, mean: 0) }
        var low = Double.infinity, high = -Double.infinity, total = 0.0
        for value in frame.values {
            let v = modality(Int(value))
            low = min(low, v); high = max(high, v); total += v
        }
        return DICOMStatistics(min: low, max: high, mean: total / Double(frame.values.count))
    }

    private func raw(_ frame: DICOMFrame, pixel: DICOMPixelDescription, source: ImageSource) -> DICOMRenderedImage {
        let origin = pixel.signed ? -(1 << (pixel.bitsStored - 1)) : 0
        let pixels: PixelBuffer
        if pixel.bitsAllocated == 8 && !pixel.signed && frame.values.allSatisfy({ $0 >= 0 && $0 <= 255 }) {
            pixels = .uint8(frame.values.map { UInt8($0) })
        } else {
            pixels = .uint16(frame.values.map { UInt16(clamping: Int($0) - origin) })
        }
        let image = Image(width: frame.width, height: frame.height, channels: frame.samplesPerPixel, pixels: pixels,
                          significantBits: min(pixel.bitsStored, 16), source: source)
        return DICOMRenderedImage(image: image, valueOrigin: origin, inverted: false)
    }

    private func monochrome(_ frame: DICOMFrame, pixel: DICOMPixelDescription, rendering: DICOMRendering,
                            source: ImageSource) throws(DecodeError) -> DICOMRenderedImage {
        let modality = ModalityTransform(dataset, pixel: pixel)
        let shape = dataset.string(.presentationLUTShape)?.uppercased()
        let inverted = pixel.photometric == "MONOCHROME1" ? true : shape == "INVERSE"
        // Stored values outside Bits Stored (possible from a codec) are clamped into it.
        let stored = pixel.storedRange
        var low = Int32.max, high = Int32.min
        for v in frame.values { low = min(low, v); high = max(high, v) }
        let present = min(max(Int(low), stored.lowerBound), stored.upperBound)...min(max(Int(high), stored.lowerBound), stored.upperBound)

        var mode = rendering
        let voi = defaultVOI(pixel: pixel)
        if mode == .automatic { mode = voi == nil ? .fullRange : .defaultWindow }

        // Every rendering is a function of the stored value: tabulate it over the values present.
        var output: (Int) -> Int
        var origin = 0
        var sixteenBit = true
        var significantBits = 16
        switch mode {
        case .modality:
            let range = modality.range(of: stored)
            let lowValue = saturatingInt(range.lowerBound), highValue = saturatingInt(range.upperBound)
            origin = inverted ? highValue : lowValue
            output = { s in
                let v = saturatingInt(modality(s))
                return inverted ? origin - v : v - origin
            }
            significantBits = min(16, max(1, Int.bitWidth - (highValue - lowValue).leadingZeroBitCount))
        case .fullRange:
            let range = modality.range(of: stored)
            let span = range.upperBound - range.lowerBound
            output = { s in
                guard span > 0 else { return 0 }
                let scaled = saturatingInt((modality(s) - range.lowerBound) / span * 65535)
                return inverted ? 65535 - scaled : scaled
            }
        case .window, .defaultWindow:
            sixteenBit = false
            significantBits = 8
            var transform: VOITransform
            if case .window(let center, let width) = mode {
                transform = .window(center: center, width: width, function: voiFunction)
            } else if let voi {
                transform = voi
            } else {
                let range = modality.range(of: present)
                transform = .window(center: (range.lowerBound + range.upperBound) / 2,
                                    width: max(range.upperBound - range.lowerBound, 1e-9), function: "LINEAR_EXACT")
            }
            output = { s in
                // Inverted, then truncated, as DCMTK's dcm2pnm does (the standard leaves rounding open).
                let y = transform(modality(s))
                return saturatingInt((inverted ? 255 - y : y).rounded(.down))
            }
        case .raw, .automatic:
            return raw(frame, pixel: pixel, source: source)
        }
        // Tabulate over the present stored range (at most 2^16 entries for <= 16-bit data).
        let count = frame.values.count
        if present.count <= 1 << 17 {
            let table = present.map { min(max(output($0), 0), sixteenBit ? 65535 : 255) }
            let base = present.lowerBound, top = present.upperBound
            if sixteenBit {
                var samples = [UInt16](repeating: 0, count: count)
                frame.values.withUnsafeBufferPointer { values in
                    for i in 0..<count { samples[i] = UInt16(table[min(max(Int(values[i]), base), top) - base]) }
                }
                return DICOMRenderedImage(image: Image(width: frame.width, height: frame.height, channels: 1, pixels: .uint16(samples),
                                                       significantBits: significantBits, source: source),
                                          valueOrigin: origin, inverted: inverted)
            }
            var samples = [UInt8](repeating: 0, count: count)
            frame.values.withUnsafeBufferPointer { values in
                for i in 0..<count { samples[i] = UInt8(table[min(max(Int(values[i]), base), top) - base]) }
            }
            return DICOMRenderedImage(image: Image(width: frame.width, height: frame.height, channels: 1, pixels: .uint8(samples),
                                                   significantBits: 8, source: source),
                                      valueOrigin: origin, inverted: inverted)
        }
        let limit = sixteenBit ? 65535 : 255
        let clamped = frame.values.map { min(max(output(min(max(Int($0), present.lowerBound), present.upperBound)), 0), limit) }
        let pixels: PixelBuffer = sixteenBit ? .uint16(clamped.map { UInt16($0) }) : .uint8(clamped.map { UInt8($0) })
        return DICOMRenderedImage(image: Image(width: frame.width, height: frame.height, channels: 1, pixels: pixels,
                                               significantBits: significantBits, source: source),
                                  valueOrigin: origin, inverted: inverted)
    }

    /// VOI LUT Function (0028,1056), LINEAR by default.
    private var voiFunction: String {
        let function = dataset.string(.voiLUTFunction)?.uppercased() ?? "LINEAR"
        return ["LINEAR", "LINEAR_EXACT", "SIGMOID"].contains(function) ? function : "LINEAR"
    }

    /// The dataset's first window, else its first VOI LUT, else nil.
    func defaultVOI(pixel: DICOMPixelDescription) -> VOITransform? {
        if let center = dataset.doubles(.windowCenter).first, let width = dataset.doubles(.windowWidth).first,
           center.isFinite, width.isFinite, width > 0 {
            return .window(center: center, width: width, function: voiFunction)
        }
        if let item = dataset.sequence(.voiLUTSequence).first, let table = LookupTable(item, signedFirst: pixel.signed) {
            return .lut(table)
        }
        return nil
    }

    private func color(_ frame: DICOMFrame, pixel: DICOMPixelDescription, source: ImageSource) throws(DecodeError) -> Image {
        let pixels = frame.width * frame.height
        if pixel.photometric == "PALETTE COLOR" && frame.samplesPerPixel == 1 {
            let tables = [(DICOMTag.redPaletteDescriptor, DICOMTag.redPaletteData),
                          (.greenPaletteDescriptor, .greenPaletteData), (.bluePaletteDescriptor, .bluePaletteData)]
            var luts: [LookupTable] = []
            for (descriptorTag, dataTag) in tables {
                var item = DICOMDataset(bytes: dataset.bytes, bigEndian: dataset.bigEndian)
                if let descriptor = dataset[descriptorTag] { item.append(DICOMElement(tag: .lutDescriptor, vr: descriptor.vr == .SS ? .US : descriptor.vr, valueRange: descriptor.valueRange, items: nil, fragments: nil, undefinedLength: false)) }
                if let data = dataset[dataTag] { item.append(DICOMElement(tag: .lutData, vr: data.vr == .OB ? .OB : .OW, valueRange: data.valueRange, items: nil, fragments: nil, undefinedLength: false)) }
                guard let table = LookupTable(item, signedFirst: pixel.signed) else {
                    throw DecodeError(.corrupt, path: path, reason: "DICOM: PALETTE COLOR image without a usable palette (segmented palettes are not supported)")
                }
                luts.append(table)
            }
            let sixteen = luts.contains { $0.bits > 8 }
            if sixteen {
                var samples = [UInt16](repeating: 0, count: pixels * 3)
                for i in 0..<pixels { for c in 0..<3 { samples[i * 3 + c] = UInt16(clamping: luts[c][Int(frame.values[i])]) } }
                return Image(width: frame.width, height: frame.height, channels: 3, pixels: .uint16(samples), significantBits: 16, source: source)
            }
            var samples = [UInt8](repeating: 0, count: pixels * 3)
            for i in 0..<pixels { for c in 0..<3 { samples[i * 3 + c] = UInt8(clamping: luts[c][Int(frame.values[i])]) } }
            return Image(width: frame.width, height: frame.height, channels: 3, pixels: .uint8(samples), significantBits: 8, source: source)
        }
        guard frame.samplesPerPixel == 3 else {
            throw DecodeError(.unsupported, path: path, reason: "DICOM: \(pixel.photometric) with \(frame.samplesPerPixel) sample(s) per pixel")
        }
        switch frame.photometric {
        case "RGB":
            if pixel.bitsAllocated == 8 {
                return Image(width: frame.width, height: frame.height, channels: 3, pixels: .uint8(frame.values.map { UInt8(clamping: $0) }),
                             significantBits: 8, source: source)
            }
            return Image(width: frame.width, height: frame.height, channels: 3, pixels: .uint16(frame.values.map { UInt16(clamping: $0) }),
                         significantBits: min(pixel.bitsStored, 16), source: source)
        case "YBR_FULL", "YBR_FULL_422":
            guard pixel.bitsAllocated == 8 else {
                throw DecodeError(.unsupported, path: path, reason: "DICOM: \(frame.photometric) with \(pixel.bitsAllocated)-bit samples")
            }
            return Image(width: frame.width, height: frame.height, channels: 3, pixels: .uint8(ybrFullToRGB(frame.values)),
                         significantBits: 8, source: source)
        default:
            throw DecodeError(.unsupported, path: path, reason: "DICOM: photometric interpretation \(frame.photometric) is not supported")
        }
    }
}

/// `x` rounded to the nearest integer, saturating at +-2^53 (NaN gives 0): a hostile Rescale Slope
/// must not trap a conversion.
func saturatingInt(_ x: Double) -> Int {
    guard !x.isNaN else { return 0 }
    return Int(min(max(x.rounded(), -9_007_199_254_740_992), 9_007_199_254_740_992))
}

/// YBR_FULL to RGB (PS3.3 C.7.6.3.1.2, full-range ITU-R BT.601), rounded and clamped to 0...255.
func ybrFullToRGB(_ values: [Int32]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: values.count)
    for p in stride(from: 0, to: values.count - 2, by: 3) {
        let y = Double(values[p]), cb = Double(values[p + 1]) - 128, cr = Double(values[p + 2]) - 128
        let r = y + 1.402 * cr
        let g = y - (0.114 * 1.772 / 0.587) * cb - (0.299 * 1.402 / 0.587) * cr
        let b = y + 1.772 * cb
        out[p] = UInt8(min(max((r + 0.5).rounded(.down), 0), 255))
        out[p + 1] = UInt8(min(max((g + 0.5).rounded(.down), 0), 255))
        out[p + 2] = UInt8(min(max((b + 0.5).rounded(.down), 0), 255))
    }
    return out
}
