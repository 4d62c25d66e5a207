import Foundation
import RadLensInference
import Testing

@Suite struct NumPyFileTests {
    @Test func roundTrips() throws {
        let tensor = Tensor(shape: [2, 3, 1], data: [1, -2, 3.5, 0, .pi, -1e-7])
        let back = try NumPyFile.read(NumPyFile.encode(tensor))
        #expect(back == tensor)
    }

    @Test func refusesOtherFiles() {
        #expect(throws: InferenceError.self) { try NumPyFile.read(Data("not numpy".utf8)) }
    }
}
