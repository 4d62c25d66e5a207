/// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits segment
/// per byte plane (most significant byte first, sample by sample).
enum DICOMRLE {
    static func decode(_ data: [UInt8], pixel: DICOMPixelDescription, path: String?) throws(DecodeError) -> DICOMFrame {
        func corrupt(_ reason: String) -> DecodeError { DecodeError(.corrupt, path: path, reason: "DICOM RLE: \(reason)") }
        guard data.count >= 64 else { throw corrupt("frame is \(data.count) bytes, shorter than the 64-byte header") }
        func u32(_ offset: Int) -> Int {
            Int(UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24)
        }
        let bytesPerSample = pixel.bitsAllocated / 8
        let expected = pixel.samplesPerPixel * bytesPerSample
        let segments = u32(0)
        guard segments == expected else {
            throw corrupt("\(segments) segments, expected \(expected) for \(pixel.samplesPerPixel) sample(s) of \(pixel.bitsAllocated) bits")
        }
        let offsets = (0..<segments).map { u32(4 + 4 * $0) }
        let pixels = pixel.rows * pixel.columns
        // PackBits expands 2 bytes to at most 128: refuse before allocating for an absurd claim.
        guard data.count - 64 >= segments * 2 * ((pixels + 127) / 128) else {
            throw corrupt("\(data.count) bytes cannot hold \(segments) segment(s) of \(pixels) pixels")
        }
        var values = [Int32](repeating: 0, count: pixels * pixel.samplesPerPixel)
        var plane = [UInt8](repeating: 0, count: pixels)
        for segment in 0..<segments {
            let start = offsets[segment]
            let end = segment + 1 < segments ? offsets[segment + 1] : data.count
            guard start >= 64, start <= end, end <= data.count else {
                throw corrupt("segment \(segment) spans bytes \(start)..<\(end) of a \(data.count)-byte frame")
            }
            try unpack(data, from: start, to: end, into: &plane, segment: segment, path: path)
            let sample = segment / bytesPerSample
            let shift = Int32(8 * (bytesPerSample - 1 - segment % bytesPerSample))
            values.withUnsafeMutableBufferPointer { out in
                plane.withUnsafeBufferPointer { bytes in
                    for i in 0..<pixels {
                        out[i * pixel.samplesPerPixel + sample] |= Int32(bitPattern: UInt32(bytes[i]) << UInt32(shift))
                    }
                }
            }
        }
        // Stored values: high bit, mask and sign as for native data.
        let shift = UInt32(pixel.highBit + 1 - pixel.bitsStored)
        let mask: UInt32 = pixel.bitsStored == 32 ? .max : (1 << UInt32(pixel.bitsStored)) - 1
        let signBit: UInt32 = 1 << UInt32(pixel.bitsStored - 1)
        for i in values.indices {
            var word = (UInt32(bitPattern: values[i]) >> shift) & mask
            if pixel.signed && word & signBit != 0 { word |= ~mask }
            values[i] = Int32(bitPattern: word)
        }
        return DICOMFrame(width: pixel.columns, height: pixel.rows, samplesPerPixel: pixel.samplesPerPixel,
                          values: values, photometric: pixel.photometric)
    }

    /// PackBits: a control byte n; 0...127 copies n + 1 literal bytes, -127...-1 repeats the next
    /// byte 1 - n times, -128 does nothing. The plane must fill completely; extra output is ignored.
    static func unpack(_ data: [UInt8], from start: Int, to end: Int, into plane: inout [UInt8], segment: Int, path: String?) throws(DecodeError) {
        var input = start, output = 0
        let count = plane.count
        while output < count && input < end {
            let control = Int(Int8(bitPattern: data[input]))
            input += 1
            if control >= 0 {
                let run = control + 1
                guard input + run <= end else { break }
                let take = min(run, count - output)
                for k in 0..<take { plane[output + k] = data[input + k] }
                output += take
                input += run
            } else if control != -128 {
                guard input < end else { break }
                let run = min(1 - control, count - output)
                let byte = data[input]
                for k in 0..<run { plane[output + k] = byte }
                output += run
                input += 1
            }
        }
        guard output == count else {
            throw DecodeError(.corrupt, path: path, reason: "DICOM RLE: segment \(segment) decodes to \(output) bytes, expected \(count)")
        }
    }
}
