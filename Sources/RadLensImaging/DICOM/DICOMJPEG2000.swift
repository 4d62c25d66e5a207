import COpenJPEG
import Glibc

/// JPEG 2000 frames (lossless .90, lossy .91) and HTJ2K frames (.201-.203, Part 15 block coder)
/// through OpenJPEG 2.5, reading from memory with user stream callbacks. OpenJPEG reports failures by return value (no longjmp); its error
/// messages are captured and put in the `DecodeError`.
enum DICOMJPEG2000 {
    /// The compressed frame, read by OpenJPEG's callbacks.
    private final class MemoryStream {
        let data: [UInt8]
        var position = 0
        init(_ data: [UInt8]) { self.data = data }
    }

    /// Messages from OpenJPEG's error handler.
    private final class Messages {
        var errors: [String] = []
    }

    static func decode(_ data: [UInt8], pixel: DICOMPixelDescription, limits: DecodeLimits, path: String?) throws(DecodeError) -> DICOMFrame {
        func corrupt(_ what: String, _ messages: Messages) -> DecodeError {
            let detail = messages.errors.isEmpty ? "" : ": " + messages.errors.joined(separator: "; ")
            return DecodeError(.corrupt, path: path, reason: "DICOM JPEG 2000: \(what)\(detail)")
        }
        guard data.count >= 12 else { throw DecodeError(.corrupt, path: path, reason: "DICOM JPEG 2000: frame is only \(data.count) bytes") }
        // A JP2 file starts with its signature box; a bare codestream with SOC SIZ (FF4F FF51).
        let isJP2 = data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 0x0C
        guard let codec = opj_create_decompress(isJP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K) else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM JPEG 2000: cannot create an OpenJPEG decoder")
        }
        defer { opj_destroy_codec(codec) }
        let messages = Messages()
        // The callbacks reach these objects through unretained pointers: keep them alive until the end.
        defer { withExtendedLifetime(messages) {} }
        let messagesPointer = Unmanaged.passUnretained(messages).toOpaque()
        opj_set_error_handler(codec, { message, context in
            guard let message, let context else { return }
            let box = Unmanaged<Messages>.fromOpaque(context).takeUnretainedValue()
            if box.errors.count < 8 {
                box.errors.append(String(cString: message).trimmingCharacters(in: "\n "))
            }
        }, messagesPointer)
        var parameters = opj_dparameters_t()
        opj_set_default_decoder_parameters(&parameters)
        guard opj_setup_decoder(codec, &parameters) != 0 else { throw corrupt("cannot set up the decoder", messages) }

        let source = MemoryStream(data)
        defer { withExtendedLifetime(source) {} }
        guard let stream = opj_stream_create(1 << 16, 1) else { throw corrupt("cannot create a stream", messages) }
        defer { opj_stream_destroy(stream) }
        let sourcePointer = Unmanaged.passUnretained(source).toOpaque()
        opj_stream_set_user_data(stream, sourcePointer, nil)
        opj_stream_set_user_data_length(stream, UInt64(data.count))
        opj_stream_set_read_function(stream) { buffer, count, context in
            let source = Unmanaged<MemoryStream>.fromOpaque(context!).takeUnretainedValue()
            let available = source.data.count - source.position
            guard available > 0, let buffer else { return -1 }  // (OPJ_SIZE_T)-1: end of stream
            let take = min(Int(count), available)
            source.data.withUnsafeBytes { raw in
                buffer.copyMemory(from: raw.baseAddress! + source.position, byteCount: take)
            }
            source.position += take
            return take
        }
        opj_stream_set_skip_function(stream) { count, context in
            let source = Unmanaged<MemoryStream>.fromOpaque(context!).takeUnretainedValue()
            let target = source.position + Int(count)
            guard target >= 0, target <= source.data.count else { return -1 }
            source.position = target
            return count
        }
        opj_stream_set_seek_function(stream) { offset, context in
            let source = Unmanaged<MemoryStream>.fromOpaque(context!).takeUnretainedValue()
            guard offset >= 0, Int(offset) <= source.data.count else { return 0 }
            source.position = Int(offset)
            return 1
        }

        var imagePointer: UnsafeMutablePointer<opj_image_t>?
        let headerRead = opj_read_header(stream, codec, &imagePointer)
        defer { if let imagePointer { opj_image_destroy(imagePointer) } }
        guard headerRead != 0, let image = imagePointer else { throw corrupt("cannot read the codestream header", messages) }
        let width = Int(image.pointee.x1) - Int(image.pointee.x0)
        let height = Int(image.pointee.y1) - Int(image.pointee.y0)
        let components = Int(image.pointee.numcomps)
        try limits.check(width: width, height: height, path: path)
        guard width == pixel.columns, height == pixel.rows, components == pixel.samplesPerPixel else {
            throw DecodeError(.corrupt, path: path,
                              reason: "DICOM JPEG 2000: codestream is \(width)x\(height) with \(components) component(s), the dataset says \(pixel.columns)x\(pixel.rows)x\(pixel.samplesPerPixel)")
        }
        guard opj_decode(codec, stream, image) != 0, opj_end_decompress(codec, stream) != 0 else {
            throw corrupt("decoding failed", messages)
        }
        var values = [Int32](repeating: 0, count: width * height * components)
        for c in 0..<components {
            let component = image.pointee.comps[c]
            guard component.w == UInt32(width), component.h == UInt32(height), component.dx == 1, component.dy == 1,
                  let samples = component.data else {
                throw DecodeError(.unsupported, path: path, reason: "DICOM JPEG 2000: subsampled or reduced components are not supported")
            }
            // The codestream's signedness wins over nothing: values follow the dataset's Pixel
            // Representation, reinterpreting the component's bits when the two disagree.
            let precision = Int32(min(max(component.prec, 1), 31))
            let codestreamSigned = component.sgnd != 0
            for i in 0..<(width * height) {
                var value = samples[i]
                if pixel.signed && !codestreamSigned && value >= 1 << (precision - 1) {
                    value -= 1 << precision
                } else if !pixel.signed && codestreamSigned && value < 0 {
                    value += 1 << precision
                }
                values[i * components + c] = value
            }
        }
        var photometric = pixel.photometric
        if photometric == "YBR_ICT" || photometric == "YBR_RCT" { photometric = "RGB" }
        return DICOMFrame(width: width, height: height, samplesPerPixel: components, values: values, photometric: photometric)
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
