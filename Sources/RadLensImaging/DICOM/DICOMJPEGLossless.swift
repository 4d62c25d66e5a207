/// JPEG lossless frames (ITU-T T.81 process 14, Huffman coded: 1.2.840.10008.1.2.4.57 with any
/// predictor, .70 with predictor 1), 2 to 16 bits, one or more components, restart intervals and
/// point transforms. libjpeg-turbo 2.1 (Debian 12) has no lossless decoder, so it is decoded here.
struct DICOMJPEGLossless {
    private let data: [UInt8]
    private let path: String?

    private struct Component {
        var id: UInt8
        var table = 0
    }

    private init(data: [UInt8], path: String?) {
        self.data = data
        self.path = path
    }

    static func decode(_ data: [UInt8], pixel: DICOMPixelDescription, limits: DecodeLimits, path: String?) throws(DecodeError) -> DICOMFrame {
        try DICOMJPEGLossless(data: data, path: path).decode(pixel: pixel, limits: limits)
    }

    private func hex(_ byte: UInt8) -> String { String(byte, radix: 16, uppercase: true) }

    private func corrupt(_ reason: String) -> DecodeError {
        DecodeError(.corrupt, path: path, reason: "DICOM JPEG lossless: \(reason)")
    }

    private func decode(pixel: DICOMPixelDescription, limits: DecodeLimits) throws(DecodeError) -> DICOMFrame {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { throw corrupt("no SOI marker") }
        var offset = 2
        var tables: [Int: HuffmanTable] = [:]
        var precision = 0, width = 0, height = 0
        var components: [Component] = []
        var restartInterval = 0
        while true {
            // Markers may be preceded by fill bytes (0xFF).
            while offset < data.count && data[offset] == 0xFF && offset + 1 < data.count && data[offset + 1] == 0xFF { offset += 1 }
            guard offset + 4 <= data.count, data[offset] == 0xFF else { throw corrupt("truncated or missing marker at byte \(offset)") }
            let marker = data[offset + 1]
            let length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            let body = offset + 4, end = offset + 2 + length
            guard length >= 2, end <= data.count else { throw corrupt("segment 0xFF\(hex(marker)) runs past the end") }
            switch marker {
            case 0xC3:  // SOF3: lossless, Huffman
                guard length >= 8 else { throw corrupt("short SOF3") }
                precision = Int(data[body])
                height = Int(data[body + 1]) << 8 | Int(data[body + 2])
                width = Int(data[body + 3]) << 8 | Int(data[body + 4])
                let count = Int(data[body + 5])
                guard (2...16).contains(precision), width > 0, height > 0, count >= 1, length == 8 + 3 * count else {
                    throw corrupt("invalid SOF3 (precision \(precision), \(width)x\(height), \(count) components)")
                }
                for c in 0..<count {
                    guard data[body + 7 + 3 * c] == 0x11 else { throw corrupt("subsampled components are not supported") }
                    components.append(Component(id: data[body + 6 + 3 * c]))
                }
            case 0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
                throw DecodeError(.unsupported, path: path, reason: "DICOM JPEG lossless: the frame is coded with SOF 0xFF\(hex(marker)), not lossless SOF3")
            case 0xC4:  // DHT
                var p = body
                while p < end {
                    guard p + 17 <= end else { throw corrupt("short DHT") }
                    let id = Int(data[p] & 0x0F)
                    let counts = (0..<16).map { Int(data[p + 1 + $0]) }
                    let total = counts.reduce(0, +)
                    guard p + 17 + total <= end, let table = HuffmanTable(counts: counts, values: Array(data[(p + 17)..<(p + 17 + total)])) else {
                        throw corrupt("invalid Huffman table")
                    }
                    tables[id] = table
                    p += 17 + total
                }
            case 0xDD:  // DRI
                guard length == 4 else { throw corrupt("invalid DRI") }
                restartInterval = Int(data[body]) << 8 | Int(data[body + 1])
            case 0xDA:  // SOS
                guard !components.isEmpty else { throw corrupt("scan before frame header") }
                let count = Int(data[body])
                guard count == components.count, length == 6 + 2 * count else {
                    throw corrupt("the scan codes \(count) of \(components.count) components (one interleaved scan is supported)")
                }
                for c in 0..<count {
                    guard data[body + 1 + 2 * c] == components[c].id else { throw corrupt("scan components out of order") }
                    components[c].table = Int(data[body + 2 + 2 * c] >> 4)
                    guard tables[components[c].table] != nil else { throw corrupt("missing Huffman table \(components[c].table)") }
                }
                let predictor = Int(data[body + 1 + 2 * count])
                let pointTransform = Int(data[body + 3 + 2 * count] & 0x0F)
                guard (1...7).contains(predictor), pointTransform < precision else {
                    throw corrupt("invalid predictor \(predictor) or point transform \(pointTransform)")
                }
                try limits.check(width: width, height: height, path: path)
                guard width == pixel.columns, height == pixel.rows, components.count == pixel.samplesPerPixel else {
                    throw corrupt("stream is \(width)x\(height)x\(components.count), the dataset says \(pixel.columns)x\(pixel.rows)x\(pixel.samplesPerPixel)")
                }
                var values = try scan(from: end, width: width, height: height, tables: components.map { tables[$0.table]! },
                                      precision: precision, predictor: predictor, pointTransform: pointTransform,
                                      restartInterval: restartInterval)
                if pixel.signed {
                    // Lossless JPEG codes unsigned samples: signed data is its two's-complement bit pattern.
                    let signBit = Int32(1) << (pixel.bitsStored - 1), range = Int32(1) << pixel.bitsStored
                    for i in values.indices where values[i] >= signBit { values[i] -= range }
                }
                return DICOMFrame(width: width, height: height, samplesPerPixel: components.count, values: values, photometric: pixel.photometric)
            case 0xD9:
                throw corrupt("no scan before EOI")
            default:
                break  // APPn, COM, DQT and others: not needed for decoding
            }
            offset = end
        }
    }

    /// Decodes the entropy-coded scan starting at `start`: interleaved samples, row-major.
    private func scan(from start: Int, width: Int, height: Int, tables: [HuffmanTable], precision: Int, predictor: Int,
                      pointTransform: Int, restartInterval: Int) throws(DecodeError) -> [Int32] {
        let components = tables.count
        var values = [Int32](repeating: 0, count: width * height * components)
        var reader = BitReader(data: data, position: start)
        let initial = 1 << (precision - pointTransform - 1)
        let mask = 0xFFFF
        // Restart intervals of whole rows only (what encoders write for lossless JPEG).
        guard restartInterval % width == 0 else {
            throw DecodeError(.unsupported, path: path, reason: "DICOM JPEG lossless: restart interval \(restartInterval) is not a whole number of rows")
        }
        var rowsSinceRestart = 0, mcusLeft = restartInterval
        try values.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<Int32>) throws(DecodeError) in
            // Reconstructed values before the point transform's shift, this row and the previous.
            var previous = [Int](repeating: 0, count: width * components), current = previous
            for y in 0..<height {
                for x in 0..<width {
                    if restartInterval > 0 && mcusLeft == 0 {
                        guard reader.restart() else { throw corrupt("missing restart marker at row \(y)") }
                        mcusLeft = restartInterval
                        rowsSinceRestart = 0
                    }
                    // The first row of the scan and of each restart interval: 2^(P-Pt-1), then the left sample.
                    let firstRow = rowsSinceRestart == 0
                    for c in 0..<components {
                        let i = x * components + c
                        let prediction: Int
                        if firstRow {
                            prediction = x == 0 ? initial : current[i - components]
                        } else if x == 0 {
                            prediction = previous[i]
                        } else {
                            let a = current[i - components], b = previous[i], cc = previous[i - components]
                            switch predictor {
                            case 1: prediction = a
                            case 2: prediction = b
                            case 3: prediction = cc
                            case 4: prediction = a + b - cc
                            case 5: prediction = a + ((b - cc) >> 1)
                            case 6: prediction = b + ((a - cc) >> 1)
                            default: prediction = (a + b) >> 1
                            }
                        }
                        guard let difference = reader.difference(tables[c]) else { throw corrupt("truncated or corrupt scan at row \(y)") }
                        let value = (prediction + difference) & mask
                        current[i] = value
                        out[(y * width) * components + i] = Int32(value << pointTransform)
                    }
                    if restartInterval > 0 { mcusLeft -= 1 }
                }
                swap(&previous, &current)
                rowsSinceRestart += 1
            }
        }
        return values
    }
}

/// A Huffman table in the form of T.81 F.2.2.3: per code length the largest code and where
/// its values start.
private struct HuffmanTable {
    var maxCode = [Int](repeating: -1, count: 18)
    var valueOffset = [Int](repeating: 0, count: 17)
    var values: [UInt8] = []

    init?(counts: [Int], values: [UInt8]) {
        guard counts.reduce(0, +) == values.count else { return nil }
        self.values = values
        var code = 0, k = 0
        for length in 1...16 {
            valueOffset[length] = k - code
            code += counts[length - 1]
            k += counts[length - 1]
            maxCode[length] = counts[length - 1] > 0 ? code - 1 : -1
            guard code <= 1 << length else { return nil }
            code <<= 1
        }
    }
}

/// Bits of an entropy-coded segment: 0xFF00 stands for 0xFF; any other marker ends the data.
private struct BitReader {
    let data: [UInt8]
    var position: Int
    private var buffer: UInt32 = 0
    private var count = 0
    private var atMarker = false

    init(data: [UInt8], position: Int) {
        self.data = data
        self.position = position
    }

    /// One bit, or nil past the end of the segment.
    private mutating func bit() -> Int? {
        if count == 0 {
            guard !atMarker, position < data.count else { return nil }
            let byte = data[position]
            if byte == 0xFF {
                guard position + 1 < data.count else { return nil }
                if data[position + 1] == 0x00 {
                    position += 2
                } else {
                    atMarker = true
                    return nil
                }
            } else {
                position += 1
            }
            buffer = UInt32(byte)
            count = 8
        }
        count -= 1
        return Int(buffer >> UInt32(count)) & 1
    }

    private mutating func bits(_ n: Int) -> Int? {
        var value = 0
        for _ in 0..<n {
            guard let b = bit() else { return nil }
            value = value << 1 | b
        }
        return value
    }

    /// The next Huffman-coded difference (T.81 F.2.2.3 and H.1.2.2: category 16 is 32768, with
    /// no extra bits), or nil when the data ends or holds no valid code.
    mutating func difference(_ table: HuffmanTable) -> Int? {
        var code = 0
        for length in 1...16 {
            guard let b = bit() else { return nil }
            code = code << 1 | b
            guard code <= table.maxCode[length] else { continue }
            let index = table.valueOffset[length] + code
            guard index >= 0, index < table.values.count else { return nil }
            let category = Int(table.values[index])
            if category == 0 { return 0 }
            if category == 16 { return 32768 }
            guard category < 16, let extra = bits(category) else { return nil }
            return extra < 1 << (category - 1) ? extra - (1 << category) + 1 : extra
        }
        return nil
    }

    /// Skips to the restart marker that must come next; false when it does not.
    mutating func restart() -> Bool {
        count = 0
        if !atMarker {
            // Skip fill to the marker.
            while position < data.count && !(data[position] == 0xFF && position + 1 < data.count && data[position + 1] != 0x00) { position += 1 }
        }
        guard position + 1 < data.count, (0xD0...0xD7).contains(data[position + 1]) else { return false }
        position += 2
        atMarker = false
        return true
    }
}
