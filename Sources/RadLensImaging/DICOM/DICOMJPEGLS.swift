import _RadLensCharLSShim

/// Why JPEG-LS frames cannot be decoded here (CharLS could not be loaded), or nil when they can.
public var jpegLSUnavailableReason: String? { radlens_charls_load().map { String(cString: $0) } }

/// JPEG-LS frames, lossless (.80) and near-lossless (.81), through CharLS (Debian libcharls2).
/// CharLS reports errors by return code, never by exception or longjmp across Swift. It is
/// loaded on first use (`radlens_charls_load`).
enum DICOMJPEGLS {
    static func decode(_ data: [UInt8], pixel: DICOMPixelDescription, limits: DecodeLimits, path: String?) throws(DecodeError) -> DICOMFrame {
        func failure(_ what: String, _ code: charls_jpegls_errc) -> DecodeError {
            DecodeError(.corrupt, path: path, reason: "DICOM JPEG-LS: \(what): \(String(cString: radlens_charls_error_message(code)))")
        }
        if let error = radlens_charls_load() {
            throw DecodeError(.unsupported, path: path, reason: "DICOM JPEG-LS needs CharLS (Debian libcharls2): \(String(cString: error))")
        }
        guard let decoder = radlens_charls_decoder_create() else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM JPEG-LS: cannot create a CharLS decoder")
        }
        defer { radlens_charls_decoder_destroy(decoder) }
        let result = data.withUnsafeBytes { (source: UnsafeRawBufferPointer) in Result { () throws(DecodeError) -> DICOMFrame in
            guard let base = source.baseAddress else { throw DecodeError(.corrupt, path: path, reason: "DICOM JPEG-LS: empty frame") }
            var code = radlens_charls_decoder_set_source_buffer(decoder, base, source.count)
            guard code.rawValue == 0 else { throw failure("cannot read the stream", code) }
            code = radlens_charls_decoder_read_header(decoder)
            guard code.rawValue == 0 else { throw failure("corrupt header", code) }
            var info = charls_frame_info()
            code = radlens_charls_decoder_get_frame_info(decoder, &info)
            guard code.rawValue == 0 else { throw failure("corrupt header", code) }
            let width = Int(info.width), height = Int(info.height), components = Int(info.component_count)
            let bits = Int(info.bits_per_sample)
            try limits.check(width: width, height: height, path: path)
            guard width == pixel.columns, height == pixel.rows, components == pixel.samplesPerPixel, (2...16).contains(bits) else {
                throw DecodeError(.corrupt, path: path, reason: "DICOM JPEG-LS: stream is \(width)x\(height), \(components) component(s) of \(bits) bits, the dataset says \(pixel.columns)x\(pixel.rows)x\(pixel.samplesPerPixel)")
            }
            var interleave = charls_interleave_mode(rawValue: 0)
            code = radlens_charls_decoder_get_interleave_mode(decoder, &interleave)
            guard code.rawValue == 0 else { throw failure("corrupt header", code) }
            var size = 0
            code = radlens_charls_decoder_get_destination_size(decoder, 0, &size)
            guard code.rawValue == 0 else { throw failure("corrupt header", code) }
            let bytesPerSample = bits <= 8 ? 1 : 2
            guard size == width * height * components * bytesPerSample else {
                throw DecodeError(.corrupt, path: path, reason: "DICOM JPEG-LS: unexpected decoded size \(size)")
            }
            var decoded = [UInt8](repeating: 0, count: size)
            code = decoded.withUnsafeMutableBytes { radlens_charls_decoder_decode_to_buffer(decoder, $0.baseAddress!, size, 0) }
            guard code.rawValue == 0 else { throw failure("decoding failed", code) }

            // Samples come out planar when the stream is not interleaved; values are interleaved here.
            let planar = components > 1 && interleave == CHARLS_INTERLEAVE_MODE_NONE
            let count = width * height
            var values = [Int32](repeating: 0, count: count * components)
            let signBit = Int32(1) << (pixel.bitsStored - 1), range = Int32(1) << pixel.bitsStored
            for index in 0..<(count * components) {
                var value = bytesPerSample == 1 ? Int32(decoded[index]) : Int32(decoded[2 * index]) | Int32(decoded[2 * index + 1]) << 8
                // JPEG-LS codes unsigned samples: signed data is its two's-complement bit pattern.
                if pixel.signed && value >= signBit { value -= range }
                let target = planar ? (index % count) * components + index / count : index
                values[target] = value
            }
            return DICOMFrame(width: width, height: height, samplesPerPixel: components, values: values,
                              photometric: pixel.photometric)
        } }
        return try result.get()
    }
}
