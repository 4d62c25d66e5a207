import CZlib

/// Raw deflate (RFC 1951, no zlib header) for Deflated Explicit VR Little Endian, through zlib.
enum DICOMInflate {
    /// Inflates `input`; output over `limit` bytes is refused rather than allocated.
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int, path: String?) throws(DecodeError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM: cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status = Z_OK
        var input = Array(input)
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            while status == Z_OK {
                let produced = buffer.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(chunk)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return chunk - Int(stream.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
                if output.count > limit { status = Z_MEM_ERROR; break }
                if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
            }
            stream.next_in = nil
        }
        guard status == Z_STREAM_END else {
            let message = status == Z_MEM_ERROR ? "inflated dataset exceeds \(limit) bytes"
                : status == Z_BUF_ERROR ? "deflated dataset is truncated"
                : "deflated dataset is corrupt (zlib status \(status))"
            throw DecodeError(.corrupt, path: path, reason: "DICOM: \(message)")
        }
        return output
    }
}
