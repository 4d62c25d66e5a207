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

    @Test func refusesOtherFiles() {
        #expect(throws: InferenceError.self) { try NumPyFile.read(Data("not numpy".utf8)) }
    }
}
