import Foundation

/// Reads and writes NumPy `.npy` files holding float32 arrays (the format of `np.save`).
public enum NumPyFile {
    /// Reads a little-endian float32 (`<f4`) array in C order. float64 arrays are converted.
    public static func read(contentsOf path: String) throws(InferenceError) -> Tensor {
        tensor(try float32Values(contentsOf: path))
    }

    public static func read(_ data: Data) throws(InferenceError) -> Tensor {
        tensor(try float32Values(data))
    }

    /// A tensor holding a copy of `array`'s values.
    private static func tensor(_ array: (shape: [Int], values: Data)) -> Tensor {
        let floats = [Float](unsafeUninitializedCapacity: array.values.count / MemoryLayout<Float>.size) { buffer, initialized in
            _ = array.values.copyBytes(to: buffer)
            initialized = buffer.count
        }
        return Tensor(shape: array.shape, data: floats)
    }

    /// The array in the file at `path` as float32 values (native byte order), without copying
    /// them where the file holds little-endian float32: the bytes returned are then a slice of
    /// the file's memory mapping, so its pages are read from the page cache as they are used
    /// rather than copied into fresh memory (about 1 ms for the shipped 1.3 MB OOD matrix).
    public static func float32Values(contentsOf path: String) throws(InferenceError) -> (shape: [Int], values: Data) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw InferenceError(.invalidInput, "\(path): cannot read file")
        }
        do {
            return try float32Values(data)
        } catch {
            throw InferenceError(.invalidInput, "\(path): \(error.message)")
        }
    }

    private static func float32Values(_ data: Data) throws(InferenceError) -> (shape: [Int], values: Data) {
        let parsed = data.withUnsafeBytes { bytes in Result { () throws(InferenceError) in try header(bytes) } }
        let (descr, shape, count, body) = try parsed.get()
        switch descr {
        case "<f4", "|f4":
            guard data.count - body >= count * 4 else { throw InferenceError(.invalidInput, ".npy data is shorter than its shape \(shape)") }
            let start = data.startIndex + body
            return (shape, data[start..<(start + count * 4)])
        case "<f8":
            guard data.count - body >= count * 8 else { throw InferenceError(.invalidInput, ".npy data is shorter than its shape \(shape)") }
            let values = data.withUnsafeBytes { bytes in
                (0..<count).map { Float(bytes.loadUnaligned(fromByteOffset: body + $0 * 8, as: Double.self)) }
            }
            return (shape, values.withUnsafeBytes { Data($0) })
        default:
            throw InferenceError(.invalidInput, ".npy dtype \(descr) is not supported (use float32)")
        }
    }

    /// The header's dtype and shape, the element count, and where the values start.
    private static func header(_ bytes: UnsafeRawBufferPointer) throws(InferenceError) -> (descr: String, shape: [Int], count: Int, body: Int) {
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw InferenceError(.invalidInput, "not a NumPy .npy file")
        }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : bytes.count >= 12 ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : -1
        let headerStart = major == 1 ? 10 : 12
        guard headerLength > 0, headerStart + headerLength <= bytes.count else {
            throw InferenceError(.invalidInput, "truncated .npy header")
        }
        let header = Array(bytes[headerStart..<(headerStart + headerLength)])
        guard let descr = field("descr", in: header), let shapeText = field("shape", in: header) else {
            throw InferenceError(.invalidInput, ".npy header lacks descr or shape: \(String(decoding: header, as: UTF8.self))")
        }
        if offset(of: "'fortran_order': True", in: header) != nil {
            throw InferenceError(.invalidInput, "Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray")
        }
        let shape = shapeText.split(separator: ",").compactMap { Int(String($0.filter { $0 != "(" && $0 != ")" && !$0.isWhitespace })) }
        let (count, overflow) = shape.reduce((1, false)) { partial, dim in
            let product = partial.0.multipliedReportingOverflow(by: dim)
            return (product.partialValue, partial.1 || product.overflow || dim < 0)
        }
        guard !overflow, count <= 1 << 40 else { throw InferenceError(.invalidInput, ".npy shape \(shape) is not a valid size") }
        return (descr, shape, count, headerStart + headerLength)
    }

    /// The bytes of a version 1.0 `.npy` file holding `tensor` as little-endian float32.
    public static func encode(_ tensor: Tensor) -> Data {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.data.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// The value of `'key':` in a header dictionary: a quoted string's text, or a tuple with its
    /// parentheses. (Byte search rather than Foundation's: this runs in every cold start.)
    private static func field(_ key: String, in header: [UInt8]) -> String? {
        let pattern = "'\(key)':"
        guard let start = offset(of: pattern, in: header) else { return nil }
        let rest = header[(start + pattern.utf8.count)...].drop { $0 == UInt8(ascii: " ") }
        if rest.first == UInt8(ascii: "'") {
            return String(decoding: rest.dropFirst().prefix { $0 != UInt8(ascii: "'") }, as: UTF8.self)
        }
        if rest.first == UInt8(ascii: "(") {
            return String(decoding: rest.prefix { $0 != UInt8(ascii: ")") }, as: UTF8.self) + ")"
        }
        return nil
    }

    /// Where `text` first occurs in `bytes`.
    private static func offset(of text: String, in bytes: [UInt8]) -> Int? {
        let pattern = Array(text.utf8)
        guard pattern.count <= bytes.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }
}
