import CTurboJPEG

/// JPEG Baseline frames. libjpeg converts 3-component JPEGs from YCbCr to RGB unless a marker
/// says otherwise; DICOM says it in Photometric Interpretation instead. A frame labelled RGB whose
/// codestream has no JFIF or Adobe marker and no 'R','G','B' component IDs was compressed without
/// a colour transform (PS3.5 8.2.1): it is decoded to its raw component planes, as pydicom does.
enum DICOMJPEG {
    /// What the markers before the first scan say about the colour space.
    struct Markers {
        var jfif = false
        var adobe = false
        var componentIDs: [UInt8] = []

        init(_ data: [UInt8]) {
            var offset = 2
            while offset + 4 <= data.count, data[offset] == 0xFF {
                let marker = data[offset + 1]
                let length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                guard length >= 2, offset + 2 + length <= data.count else { return }
                let body = data[(offset + 4)..<(offset + 2 + length)]
                switch marker {
                case 0xE0: jfif = jfif || body.starts(with: Array("JFIF".utf8))
                // libjpeg only honours an APP14 long enough to hold the transform flag.
                case 0xEE: adobe = adobe || (body.count >= 12 && body.starts(with: Array("Adobe".utf8)))
                case 0xC0, 0xC1, 0xC2:
                    if body.count >= 6 {
                        let count = Int(body[body.startIndex + 5])
                        componentIDs = stride(from: 6, to: min(6 + 3 * count, body.count), by: 3).map { body[body.startIndex + $0] }
                    }
                case 0xDA: return
                default: break
                }
                offset += 2 + length
            }
        }

        /// libjpeg would convert these components from YCbCr although they are not.
        var untransformedRGB: Bool {
            componentIDs.count == 3 && !jfif && !adobe && componentIDs != Array("RGB".utf8) && componentIDs != Array("rgb".utf8)
        }
    }

    static func decode(_ data: [UInt8], pixel: DICOMPixelDescription, limits: DecodeLimits, decoder: JPEGDecoder,
                       path: String?) throws(DecodeError) -> DICOMFrame {
        if pixel.samplesPerPixel == 3 && pixel.photometric == "RGB" && Markers(data).untransformedRGB,
           let planes = try rawPlanes(data, pixel: pixel, path: path) {
            return planes
        }
        var image = Image()
        try decoder.decode(data, path: path, scale: .full, limits: limits, into: &image)
        guard image.width == pixel.columns, image.height == pixel.rows, image.channels == pixel.samplesPerPixel else {
            throw DecodeError(.corrupt, path: path,
                              reason: "DICOM: JPEG frame is \(image.width)x\(image.height)x\(image.channels), the dataset says \(pixel.columns)x\(pixel.rows)x\(pixel.samplesPerPixel)")
        }
        guard case .uint8(let samples) = image.pixels else { throw DecodeError(.corrupt, path: path, reason: "DICOM: JPEG frame is not 8-bit") }
        return DICOMFrame(width: image.width, height: image.height, samplesPerPixel: image.channels,
                          values: samples.map { Int32($0) },
                          photometric: pixel.samplesPerPixel == 3 ? "RGB" : pixel.photometric)
    }

    /// The component planes without colour conversion, for unsubsampled (4:4:4) frames; nil otherwise.
    private static func rawPlanes(_ data: [UInt8], pixel: DICOMPixelDescription, path: String?) throws(DecodeError) -> DICOMFrame? {
        guard let handle = tjInitDecompress() else { return nil }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = data.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0, subsampling == Int32(TJSAMP_444.rawValue),
              Int(width) == pixel.columns, Int(height) == pixel.rows else { return nil }
        let count = pixel.rows * pixel.columns
        var red = [UInt8](repeating: 0, count: count), green = red, blue = red
        var strides: [Int32] = [width, width, width]
        let status = red.withUnsafeMutableBufferPointer { p0 in
            green.withUnsafeMutableBufferPointer { p1 in
                blue.withUnsafeMutableBufferPointer { p2 in
                    var pointers: [UnsafeMutablePointer<UInt8>?] = [p0.baseAddress, p1.baseAddress, p2.baseAddress]
                    return data.withUnsafeBufferPointer { input in
                        tjDecompressToYUVPlanes(handle, input.baseAddress, UInt(input.count), &pointers, width, &strides, height,
                                                TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS)
                    }
                }
            }
        }
        guard status == 0 else {
            let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
            throw DecodeError(.corrupt, path: path, reason: "DICOM: corrupt JPEG: \(message)")
        }
        var values = [Int32](repeating: 0, count: count * 3)
        for i in 0..<count {
            values[i * 3] = Int32(red[i]); values[i * 3 + 1] = Int32(green[i]); values[i * 3 + 2] = Int32(blue[i])
        }
        return DICOMFrame(width: pixel.columns, height: pixel.rows, samplesPerPixel: 3, values: values, photometric: "RGB")
    }
}
