/// The Image Pixel module (PS3.3 C.7.6.3) of a dataset, checked for consistency.
public struct DICOMPixelDescription: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    /// Pixel Representation 1: two's complement samples.
    public var signed: Bool
    /// Photometric Interpretation, e.g. MONOCHROME2, RGB, YBR_FULL_422, PALETTE COLOR.
    public var photometric: String
    /// 0: samples interleaved per pixel; 1: one plane per sample.
    public var planarConfiguration: Int
    public var frames: Int

    /// Reads and checks the pixel module of `dataset`.
    init(_ dataset: DICOMDataset, path: String?, limits: DecodeLimits) throws(DecodeError) {
        func corrupt(_ reason: String) -> DecodeError { DecodeError(.corrupt, path: path, reason: "DICOM: \(reason)") }
        guard dataset.contains(.pixelData) else {
            throw DecodeError(.unsupported, path: path, reason: "DICOM: the dataset has no pixel data (7fe0,0010)")
        }
        guard let rows = dataset.int(.rows), let columns = dataset.int(.columns) else {
            throw corrupt("Rows (0028,0010) or Columns (0028,0011) is missing or not a number")
        }
        try limits.check(width: columns, height: rows, path: path)
        self.rows = rows
        self.columns = columns
        samplesPerPixel = dataset.int(.samplesPerPixel) ?? 1
        bitsAllocated = dataset.int(.bitsAllocated) ?? 0
        bitsStored = dataset.int(.bitsStored) ?? bitsAllocated
        highBit = dataset.int(.highBit) ?? (bitsStored - 1)
        signed = dataset.int(.pixelRepresentation) == 1
        photometric = dataset.string(.photometricInterpretation)?.uppercased() ?? (samplesPerPixel == 3 ? "RGB" : "MONOCHROME2")
        planarConfiguration = dataset.int(.planarConfiguration) ?? 0
        frames = dataset.int(.numberOfFrames) ?? 1
        guard samplesPerPixel == 1 || samplesPerPixel == 3 else {
            throw DecodeError(.unsupported, path: path, reason: "DICOM: \(samplesPerPixel) samples per pixel (only 1 and 3 are supported)")
        }
        guard [8, 16, 32].contains(bitsAllocated) else {
            throw DecodeError(bitsAllocated == 1 ? .unsupported : .corrupt, path: path,
                              reason: "DICOM: Bits Allocated \(bitsAllocated) (8, 16 and 32 are supported)")
        }
        guard bitsStored >= 1, bitsStored <= bitsAllocated, highBit >= bitsStored - 1, highBit < bitsAllocated else {
            throw corrupt("inconsistent Bits Allocated \(bitsAllocated), Bits Stored \(bitsStored), High Bit \(highBit)")
        }
        guard frames >= 1, frames <= 1_000_000 else { throw corrupt("Number of Frames \(frames)") }
        guard planarConfiguration == 0 || planarConfiguration == 1 else { throw corrupt("Planar Configuration \(planarConfiguration)") }
    }

    /// The smallest and largest value `bitsStored` bits can hold.
    var storedRange: ClosedRange<Int> {
        signed ? -(1 << (bitsStored - 1))...((1 << (bitsStored - 1)) - 1) : 0...((1 << bitsStored) - 1)
    }

    var isMonochrome: Bool { photometric == "MONOCHROME1" || photometric == "MONOCHROME2" }

    /// Bytes of one native frame, or nil on overflow. YBR_FULL_422 stores 2 samples per pixel.
    var nativeFrameBytes: Int? {
        let samples = photometric == "YBR_FULL_422" && samplesPerPixel == 3 ? 2 : samplesPerPixel
        let (pixels, o1) = rows.multipliedReportingOverflow(by: columns)
        let (all, o2) = pixels.multipliedReportingOverflow(by: samples * bitsAllocated / 8)
        return o1 || o2 ? nil : all
    }
}

/// The decoded samples of one frame: stored values (sign-extended, high bit applied), interleaved.
public struct DICOMFrame: Sendable {
    public var width: Int
    public var height: Int
    /// 1 or 3.
    public var samplesPerPixel: Int
    /// Interleaved stored values.
    public var values: [Int32]
    /// The colour space of `values`: compressed colour frames come out of their codec as RGB.
    public var photometric: String
}

extension DICOMFile {
    /// The pixel module of the dataset.
    public func pixelDescription(limits: DecodeLimits = DecodeLimits()) throws(DecodeError) -> DICOMPixelDescription {
        try DICOMPixelDescription(dataset, path: path, limits: limits)
    }

    /// Decodes frame `frame` (0-based) to stored values, through the codec of the transfer syntax.
    public func frame(_ frame: Int = 0, limits: DecodeLimits = DecodeLimits(), jpeg: JPEGDecoder? = nil) throws(DecodeError) -> DICOMFrame {
        let pixel = try pixelDescription(limits: limits)
        guard frame >= 0, frame < pixel.frames else {
            throw DecodeError(.badDimensions, path: path, reason: "DICOM: frame \(frame) requested but the file has \(pixel.frames) frame(s)")
        }
        guard let element = dataset[.pixelData] else { throw DecodeError(.corrupt, path: path, reason: "DICOM: no pixel data") }
        let decoded = try decodeFrame(frame, element: element, pixel: pixel, limits: limits, jpeg: jpeg)
        // Values are Int32: unsigned 32-bit samples above 2^31 - 1 cannot be represented.
        if pixel.bitsStored == 32 && !pixel.signed && decoded.values.contains(where: { $0 < 0 }) {
            throw DecodeError(.unsupported, path: path, reason: "DICOM: unsigned 32-bit samples above 2147483647 are not supported")
        }
        return decoded
    }

    private func decodeFrame(_ frame: Int, element: DICOMElement, pixel: DICOMPixelDescription,
                             limits: DecodeLimits, jpeg: JPEGDecoder?) throws(DecodeError) -> DICOMFrame {
        if !transferSyntax.encapsulated {
            guard element.fragments == nil else {
                throw DecodeError(.corrupt, path: path, reason: "DICOM: encapsulated pixel data in the native transfer syntax \(transferSyntax)")
            }
            return try nativeFrame(frame, element: element, pixel: pixel)
        }
        guard let fragments = element.fragments else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM: transfer syntax \(transferSyntax) needs encapsulated pixel data but the pixel data has a defined length")
        }
        let data = try frameBytes(frame, fragments: fragments, frames: pixel.frames)
        switch transferSyntax.uid {
        case DICOMTransferSyntax.rleLossless:
            return try DICOMRLE.decode(data, pixel: pixel, path: path)
        case DICOMTransferSyntax.jpegBaseline:
            return try DICOMJPEG.decode(data, pixel: pixel, limits: limits, decoder: jpeg ?? JPEGDecoder(), path: path)
        case DICOMTransferSyntax.jpeg2000Lossless, DICOMTransferSyntax.jpeg2000,
             DICOMTransferSyntax.htj2kLossless, DICOMTransferSyntax.htj2kLosslessRPCL, DICOMTransferSyntax.htj2k:
            // OpenJPEG 2.5 decodes HTJ2K codestreams (block coder of Part 15) like Part 1 ones.
            return try DICOMJPEG2000.decode(data, pixel: pixel, limits: limits, path: path)
        case DICOMTransferSyntax.jpegLossless, DICOMTransferSyntax.jpegLosslessSV1:
            return try DICOMJPEGLossless.decode(data, pixel: pixel, limits: limits, path: path)
        case DICOMTransferSyntax.jpegLSLossless, DICOMTransferSyntax.jpegLSNearLossless:
            return try DICOMJPEGLS.decode(data, pixel: pixel, limits: limits, path: path)
        default:
            throw DecodeError(.unsupported, path: path, reason: "unsupported transfer syntax \(transferSyntax.uid) (\(transferSyntax.name))")
        }
    }

    private func nativeFrame(_ frame: Int, element: DICOMElement, pixel: DICOMPixelDescription) throws(DecodeError) -> DICOMFrame {
        guard let frameBytes = pixel.nativeFrameBytes else {
            throw DecodeError(.badDimensions, path: path, reason: "DICOM: frame size overflows")
        }
        let start = element.valueRange.lowerBound + frame * frameBytes
        guard frame * frameBytes + frameBytes <= element.valueRange.count else {
            throw DecodeError(.corrupt, path: path,
                              reason: "DICOM: pixel data is \(element.valueRange.count) bytes but frame \(frame) needs bytes \(frame * frameBytes)..<\(frame * frameBytes + frameBytes) (truncated?)")
        }
        let bytesPerSample = pixel.bitsAllocated / 8
        let count = frameBytes / bytesPerSample
        // Explicit VR Big Endian swaps multi-byte samples; OW data is 16-bit words even when the
        // samples are 8-bit, so byte i of the frame is then stored at i ^ 1. OB is never swapped.
        let swap = dataset.bigEndian && bytesPerSample > 1
        let swapBytesOfWords = dataset.bigEndian && bytesPerSample == 1 && element.vr == .OW
        let pixelStart = element.valueRange.lowerBound, pixelLast = element.valueRange.upperBound - 1
        let shift = pixel.highBit + 1 - pixel.bitsStored
        let mask: UInt32 = pixel.bitsStored == 32 ? .max : (1 << UInt32(pixel.bitsStored)) - 1
        let signBit: UInt32 = 1 << UInt32(pixel.bitsStored - 1)
        var values = [Int32](repeating: 0, count: count)
        dataset.bytes.withUnsafeBufferPointer { raw in
            values.withUnsafeMutableBufferPointer { out in
                for i in 0..<count {
                    let p = start + i * bytesPerSample
                    var word: UInt32
                    switch bytesPerSample {
                    case 1: word = UInt32(raw[swapBytesOfWords ? min(pixelStart + ((p - pixelStart) ^ 1), pixelLast) : p])
                    case 2: word = swap ? UInt32(raw[p]) << 8 | UInt32(raw[p + 1]) : UInt32(raw[p + 1]) << 8 | UInt32(raw[p])
                    default:
                        word = swap ? UInt32(raw[p]) << 24 | UInt32(raw[p + 1]) << 16 | UInt32(raw[p + 2]) << 8 | UInt32(raw[p + 3])
                            : UInt32(raw[p + 3]) << 24 | UInt32(raw[p + 2]) << 16 | UInt32(raw[p + 1]) << 8 | UInt32(raw[p])
                    }
                    word = (word >> UInt32(shift)) & mask
                    if pixel.signed && word & signBit != 0 { word |= ~mask }
                    out[i] = Int32(bitPattern: word)
                }
            }
        }
        var photometric = pixel.photometric
        if pixel.samplesPerPixel == 3 {
            if photometric == "YBR_FULL_422" {
                values = expand422(values, pixel: pixel)
                photometric = "YBR_FULL"
            } else if pixel.planarConfiguration == 1 {
                values = interleave(values, planes: 3, pixels: pixel.rows * pixel.columns)
            }
        }
        return DICOMFrame(width: pixel.columns, height: pixel.rows, samplesPerPixel: pixel.samplesPerPixel,
                          values: values, photometric: photometric)
    }

    /// YBR_FULL_422 native data: Y1 Y2 Cb Cr for each pair of pixels (PS3.3 C.7.6.3.1.2).
    private func expand422(_ values: [Int32], pixel: DICOMPixelDescription) -> [Int32] {
        let pixels = pixel.rows * pixel.columns
        var out = [Int32](repeating: 0, count: pixels * 3)
        for pair in 0..<(pixels / 2) {
            let y1 = values[pair * 4], y2 = values[pair * 4 + 1], cb = values[pair * 4 + 2], cr = values[pair * 4 + 3]
            out[pair * 6] = y1; out[pair * 6 + 1] = cb; out[pair * 6 + 2] = cr
            out[pair * 6 + 3] = y2; out[pair * 6 + 4] = cb; out[pair * 6 + 5] = cr
        }
        return out
    }

    /// The compressed bytes of one frame: its fragments, found through the basic offset table,
    /// one fragment per frame, or (single frame) all fragments.
    func frameBytes(_ frame: Int, fragments: DICOMFragments, frames: Int) throws(DecodeError) -> [UInt8] {
        let bytes = dataset.bytes
        guard !fragments.fragments.isEmpty else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM: encapsulated pixel data has no fragments")
        }
        var selected: [Range<Int>]
        if frames == 1 {
            selected = fragments.fragments
        } else if fragments.offsetTable.count == frames {
            let start = fragments.offsetTable[frame]
            let end = frame + 1 < frames ? fragments.offsetTable[frame + 1] : Int.max
            selected = zip(fragments.itemOffsets, fragments.fragments).filter { $0.0 >= start && $0.0 < end }.map { $0.1 }
        } else if fragments.fragments.count == frames {
            selected = [fragments.fragments[frame]]
        } else {
            // No usable table: frames start at fragments that open with a JPEG, J2K or JP2 marker.
            let starts = fragments.fragments.indices.filter { index in
                let range = fragments.fragments[index]
                guard range.count >= 4 else { return false }
                let a = bytes[range.lowerBound], b = bytes[range.lowerBound + 1]
                return (a == 0xFF && (b == 0xD8 || b == 0x4F)) || (a == 0 && b == 0 && bytes[range.lowerBound + 3] == 0x0C)
            }
            guard starts.count == frames, starts.first == 0 else {
                throw DecodeError(.corrupt, path: path,
                                  reason: "DICOM: cannot tell which of \(fragments.fragments.count) fragments belong to which of \(frames) frames")
            }
            let end = frame + 1 < frames ? starts[frame + 1] : fragments.fragments.count
            selected = Array(fragments.fragments[starts[frame]..<end])
        }
        guard !selected.isEmpty else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM: frame \(frame) has no fragments (bad offset table)")
        }
        var data: [UInt8] = []
        data.reserveCapacity(selected.reduce(0) { $0 + $1.count })
        for range in selected { data.append(contentsOf: bytes[range]) }
        return data
    }
}

/// Planar samples (all of sample 0, then sample 1, ...) to interleaved.
func interleave(_ values: [Int32], planes: Int, pixels: Int) -> [Int32] {
    var out = [Int32](repeating: 0, count: values.count)
    for plane in 0..<planes {
        for i in 0..<pixels { out[i * planes + plane] = values[plane * pixels + i] }
    }
    return out
}
