import Foundation
@testable import RadLensInference
import RadLensTestSupport
import Testing

/// The reader decodes a skeleton of the ONNX file (initializers without their raw_data) and
/// converts the weights straight from the file's bytes. It must give exactly what decoding the
/// whole file with swift-protobuf gives, and a damaged file must still be a clear error.
@Suite struct ONNXSkeletonTests {
    static let models: [URL] = {
        let folder = TestPaths.fixture("models")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let heads = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("heads").path)) ?? []
        return files.filter { $0.hasSuffix(".onnx") }.sorted().map { folder.appendingPathComponent($0) }
            + heads.filter { $0.hasSuffix(".onnx") }.sorted().map { folder.appendingPathComponent("heads").appendingPathComponent($0) }
            + [TestPaths.repository.appendingPathComponent("Models/cxr-pneumonia/model.onnx")]
    }()

    @Test(arguments: models)
    func weightsEqualTheFullDecode(_ model: URL) throws {
        let data = try Data(contentsOf: model)
        let full = try Onnx_ModelProto(serializedBytes: data)
        let read = try ONNXReader.read(data)
        #expect(read.constants.count == full.graph.initializer.count)
        for initializer in full.graph.initializer {
            let expected = try ONNXReader.constant(from: initializer, name: initializer.name)
            switch (read.constants[initializer.name], expected) {
            case (.float(let got)?, .float(let want)):
                #expect(got.shape == want.shape, "\(initializer.name)")
                #expect(got.data.withUnsafeBytes { Array($0) } == want.data.withUnsafeBytes { Array($0) }, "\(initializer.name): bytes differ")
            case (.int(let shape, let values)?, .int(let wantShape, let wantValues)):
                #expect(shape == wantShape && values == wantValues, "\(initializer.name)")
            default:
                Issue.record("\(initializer.name): read as \(String(describing: read.constants[initializer.name])), decoded as \(expected)")
            }
        }
        #expect(read.nodes.map(\.name) == full.graph.node.enumerated().map { $1.name.isEmpty ? "\($1.opType)_\($0)" : $1.name })
    }

    @Test func skeletonLeavesTheWeightsInTheFile() throws {
        let data = try Data(contentsOf: TestPaths.repository.appendingPathComponent("Models/cxr-pneumonia/model.onnx"))
        let skeleton = try #require(data.withUnsafeBytes { ONNXSkeleton($0) })
        let full = try Onnx_ModelProto(serializedBytes: data)
        #expect(skeleton.rawData.count == full.graph.initializer.count)
        #expect(skeleton.rawData.compactMap { $0 }.count == full.graph.initializer.filter(\.hasRawData).count)
        // What swift-protobuf decodes is the structure: well under 1% of a 14 MB model.
        #expect(skeleton.bytes.count * 100 < data.count, "skeleton \(skeleton.bytes.count) bytes of \(data.count)")
    }

    /// Cuts of a small model are errors (its last field, the opset, is required); flipped bytes
    /// give an error or a model, never a crash.
    @Test func damagedFilesAreErrorsNotCrashes() throws {
        let data = try Data(contentsOf: TestPaths.fixture("models/small_cnn-c1.onnx"))
        var generator = SplitMix(state: 15)
        var cuts = Set((0..<200).map { _ in Int(generator.next() % UInt64(data.count)) })
        cuts.formUnion([1, 2, 3, data.count - 1])
        for cut in cuts.sorted() {
            #expect(throws: InferenceError.self, "cut at \(cut)") { try ONNXReader.read(data.prefix(cut)) }
        }
        for _ in 0..<300 {
            var damaged = data
            damaged[Int(generator.next() % UInt64(data.count))] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            _ = try? ONNXReader.read(damaged)
        }
    }
}
