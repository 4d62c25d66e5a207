import Foundation
import RadLensInference
import Testing

@Suite struct NumPyFileTests {
    @Test func roundTrips() throws {
        let tensor = Tensor(shape: [2, 3, 1], data: [1, -2, 3.5, 0, .pi, -1e-7])
        let back = try NumPyFile.read(NumPyFile.encode(tensor))
        #expect(back == tensor)
    }

    /// A header whose shape overflows (or is negative) is an error, not a crash.
    @Test(arguments: ["(4294967296, 4294967296)", "(-1, 4)", "(3037000500, 3037000500, 2)"])
    func refusesImpossibleShapes(_ shape: String) {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8) + [UInt8](repeating: 0, count: 64))
        #expect(throws: InferenceError.self) { try NumPyFile.read(data) }
    }

    /// `float32Values` (which leaves float32 values in the file's mapping) gives the values
    /// `read` copies out, from a float32 file and from a float64 one (converted).
    @Test func float32ValuesMatchRead() throws {
        let tensor = Tensor(shape: [2, 3], data: [1, -2, 3.5, 0, .pi, -1e-7])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let float32 = folder.appendingPathComponent("f4.npy")
        try NumPyFile.encode(tensor).write(to: float32)
        // The same values as float64: the header's descr and 8-byte values.
        var float64 = NumPyFile.encode(tensor)
        let header = String(decoding: float64[10..<(10 + Int(float64[8]))], as: UTF8.self).replacingOccurrences(of: "<f4", with: "<f8")
        float64 = float64.prefix(10) + Data(header.utf8)
        for value in tensor.data { withUnsafeBytes(of: Double(value)) { float64.append(contentsOf: $0) } }
        let float64URL = folder.appendingPathComponent("f8.npy")
        try float64.write(to: float64URL)
        for url in [float32, float64URL] {
            let (shape, values) = try NumPyFile.float32Values(contentsOf: url.path)
            #expect(shape == [2, 3])
            #expect(values.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == tensor.data)
            #expect(try NumPyFile.read(contentsOf: url.path) == tensor)
        }
        #expect(throws: InferenceError.self) { try NumPyFile.float32Values(contentsOf: folder.appendingPathComponent("absent.npy").path) }
    }

    @Test func refusesOtherFiles() {
        #expect(throws: InferenceError.self) { try NumPyFile.read(Data("not numpy".utf8)) }
    }
}
