import Foundation
import RadLensInference
import RadLensTestSupport
import Testing

/// Broken or unsupported models give errors that say what is wrong, never a crash or a wrong answer.
@Suite struct BadModelTests {
    static let folder = TestPaths.fixture("models/bad")

    func loadError(_ file: String) -> InferenceError? {
        do {
            let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent(file).path)
            // Some problems only show with real shapes: run once.
            let info = session.inputs[0]
            _ = try session.run(Tensor(zeros: info.shape.map { $0 ?? 1 }))
            return nil
        } catch {
            return error
        }
    }

    @Test func truncatedFileIsInvalid() {
        let error = loadError("truncated.onnx")
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("truncated.onnx") == true)
    }

    @Test func emptyAndTextFilesAreInvalid() {
        #expect(loadError("empty.onnx")?.kind == .invalidModel)
        #expect(loadError("not-onnx.onnx")?.kind == .invalidModel)
    }

    @Test func oldOpsetIsNamed() {
        let error = loadError("wrong-opset.onnx")
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("opset 3") == true)
    }

    @Test func unknownOperatorNamesNodeAndOp() {
        let error = loadError("unknown-op.onnx")
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("FancyOp") == true)
    }

    @Test func nodesOutOfTopologicalOrderAreNamed() {
        let error = loadError("unordered-nodes.onnx")
        #expect(error?.kind == .invalidModel)
        #expect(error?.message.contains("reads \"c\", which no earlier node produces") == true)
    }

    @Test func mismatchedShapesAreCaught() {
        #expect(loadError("mismatched-shapes.onnx")?.kind == .shapeMismatch)
    }

    @Test func nanWeightsAreRefused() {
        #expect(loadError("nan-weights.onnx")?.kind == .invalidWeights)
    }

    @Test func wrongInputShapeIsAnError() throws {
        let session = try InferenceSession(contentsOf: TestPaths.fixture("models/small_cnn-c1.onnx").path)
        #expect(throws: InferenceError.self) { try session.run(Tensor(zeros: [1, 3, 64, 64])) }
        #expect(throws: InferenceError.self) { try session.run(["nope": Tensor(zeros: [1, 1, 64, 64])]) }
    }
}
