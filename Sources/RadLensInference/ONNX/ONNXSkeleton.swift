/// An ONNX file's protobuf with the initializers' `raw_data` cut out, and where those bytes lie
/// in the file. swift-protobuf copies every bytes field it decodes, so decoding the skeleton
/// instead reads only the graph's structure (kilobytes) and the weights are converted once,
/// straight from the file's (memory-mapped) bytes.
///
/// Only the path ModelProto.graph (7) > GraphProto.initializer (5) > TensorProto.raw_data (9)
/// is rewritten; every other field is copied as it is.
struct ONNXSkeleton {
    /// The model's protobuf bytes without the initializers' `raw_data`.
    var bytes: [UInt8] = []
    /// For each graph initializer in file order, the byte range of its raw_data in the file
    /// (nil: it has none).
    var rawData: [Range<Int>?] = []

    /// nil when `file` is not well-formed protobuf: decoding it whole then says why.
    init?(_ file: UnsafeRawBufferPointer) {
        guard let fields = Self.fields(file, 0..<file.count) else { return nil }
        bytes.reserveCapacity(64 * 1024)
        for field in fields {
            guard field.number == 7, field.wireType == 2 else { bytes.append(contentsOf: file[field.whole]); continue }
            guard let graph = graphWithoutWeights(file, field.payload) else { return nil }
            Self.appendLengthDelimited(7, graph, to: &bytes)
        }
    }

    private mutating func graphWithoutWeights(_ file: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8]? {
        guard let fields = Self.fields(file, range) else { return nil }
        var graph: [UInt8] = []
        for field in fields {
            guard field.number == 5, field.wireType == 2 else { graph.append(contentsOf: file[field.whole]); continue }
            guard let tensorFields = Self.fields(file, field.payload) else { return nil }
            var tensor: [UInt8] = []
            var raw: Range<Int>?
            for tensorField in tensorFields {
                if tensorField.number == 9, tensorField.wireType == 2 { raw = tensorField.payload } else { tensor.append(contentsOf: file[tensorField.whole]) }
            }
            rawData.append(raw)
            Self.appendLengthDelimited(5, tensor, to: &graph)
        }
        return graph
    }

    /// One field: its number, wire type, the bytes of the whole field and of its value
    /// (for length-delimited fields, the payload after the length).
    private struct Field {
        var number: Int
        var wireType: Int
        var whole: Range<Int>
        var payload: Range<Int>
    }

    /// The fields in `range`, or nil if they are not well-formed (including groups, which ONNX never uses).
    private static func fields(_ file: UnsafeRawBufferPointer, _ range: Range<Int>) -> [Field]? {
        var fields: [Field] = []
        var offset = range.lowerBound
        while offset < range.upperBound {
            let start = offset
            guard let tag = varint(file, &offset, end: range.upperBound), tag >> 3 > 0 else { return nil }
            let valueStart = offset
            switch Int(tag & 7) {
            case 0: guard varint(file, &offset, end: range.upperBound) != nil else { return nil }
            case 1: offset += 8
            case 5: offset += 4
            case 2:
                guard let length = varint(file, &offset, end: range.upperBound), length <= UInt64(range.upperBound - offset) else { return nil }
                fields.append(Field(number: Int(tag >> 3), wireType: 2, whole: start..<offset + Int(length),
                                    payload: offset..<offset + Int(length)))
                offset += Int(length)
                continue
            default: return nil
            }
            guard offset <= range.upperBound else { return nil }
            fields.append(Field(number: Int(tag >> 3), wireType: Int(tag & 7), whole: start..<offset, payload: valueStart..<offset))
        }
        return fields
    }

    private static func varint(_ file: UnsafeRawBufferPointer, _ offset: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard offset < end else { return nil }
            let byte = file[offset]
            offset += 1
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte < 0x80 { return value }
        }
        return nil
    }

    private static func appendLengthDelimited(_ number: Int, _ payload: [UInt8], to bytes: inout [UInt8]) {
        appendVarint(UInt64(number << 3 | 2), to: &bytes)
        appendVarint(UInt64(payload.count), to: &bytes)
        bytes.append(contentsOf: payload)
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
