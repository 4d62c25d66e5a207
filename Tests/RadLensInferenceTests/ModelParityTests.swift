import Foundation
@testable import RadLensInference
import RadLensTestSupport
import Testing

/// Outputs equal ONNX Runtime's on real network architectures (ResNet-18, DenseNet-121,
/// MobileNetV2, a custom CNN covering the other operators, a ResNeXt-style one with grouped
/// convolutions of 3 to 8 groups, and one whose convolutions read the zero padding at their
/// borders in the ways the engine skips: dilated, per-axis, rectangular, strided; that one
/// also exported for a fixed batch of 8), 1- and 3-channel inputs,
/// batch 1 and 8. Reference outputs were computed by ONNX Runtime (Training/make_engine_fixtures.py).
@Suite struct ModelParityTests {
    static let folder = TestPaths.fixture("models")
    static let cases: [String] = TestPaths.files(in: folder, extensions: ["npy"])
        .map(\.lastPathComponent).filter { $0.hasSuffix(".input.npy") }
        .map { String($0.dropLast(".input.npy".count)) }

    /// Maximum absolute difference allowed on outputs (logits or probabilities).
    static let tolerance: Float = 1e-4

    @Test func fixturesArePresent() {
        #expect(Self.cases.count >= 17, "engine fixtures missing: run `.venv-train/bin/python Training/make_engine_fixtures.py`")
    }

    @Test(arguments: cases, KernelLevel.allCases.filter(\.isSupported))
    func matchesONNXRuntime(_ name: String, level: KernelLevel) throws {
        // Heavy networks run on the fastest level only; every level runs the small ones.
        let small = ["small_cnn", "grouped_cnn", "mobilenet", "border_cnn", "fixed_batch"].contains { name.hasPrefix($0) }
        if level != .best && !small { return }
        try expectMatch(name, options: SessionOptions(threads: 2, kernelLevel: level))
    }

    /// The fast path (Winograd F(4x4,3x3), and F(2x2,3x3) on the small maps, for 3x3 stride-1
    /// convolutions) stays within the same tolerance of ONNX Runtime on the networks made of 3x3
    /// convolutions, on every level. At 64x64, ResNet-18 at batch 1 runs its 16x16 layers as
    /// F(4x4) and its 8x8 layers as F(2x2); DenseNet-121 at batch 8 its 4x4 layers as F(2x2).
    @Test(arguments: ["resnet18-c1.b1", "resnet18-c1.b8", "densenet121-c1.b8"], KernelLevel.allCases.filter(\.isSupported))
    func fastPrecisionMatchesONNXRuntime(_ name: String, level: KernelLevel) throws {
        if level != .best && name != "resnet18-c1.b1" { return }
        try expectMatch(name, options: SessionOptions(threads: 2, kernelLevel: level, precision: .fast))
    }

    /// The fixtures above run both Winograd tile sizes: DenseNet-121 at batch 8 runs its 16x16
    /// and 8x8 layers as F(4x4) and its 4x4 layers, one F(4x4) tile an image, as F(2x2).
    @Test func fastPrecisionRunsBothWinogradTileSizes() throws {
        let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("densenet121-c1.onnx").path,
                                           options: SessionOptions(threads: 1, precision: .fast))
        let input = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("densenet121-c1.b8.input.npy").path)
        let labels = try session.profile(["input": input], runs: 1).map(\.layer)
        #expect(labels.contains { $0.hasSuffix("[Winograd F(4x4,3x3)]") })
        #expect(labels.contains { $0.hasSuffix("[Winograd F(2x2,3x3)]") })
    }

    /// A layer whose transformed weights would stream from L3 for few tiles runs direct.
    /// ResNet-18 at 224x224, batch 1: its 56x56 layers stay in F(4x4); its 14x14 ones (256
    /// channels: 9.4 MB in F(4x4) for 16 tiles) and 7x7 ones (16.8 MB in F(2x2)) run direct.
    @Test func winogradLeavesWeightHeavyLayersWithFewTilesDirect() throws {
        var options = SessionOptions(threads: 1, precision: .fast)
        options.enforcesDeclaredShape = false
        let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("resnet18-c1.onnx").path, options: options)
        let labels = try session.plan(for: ["input": [1, 1, 224, 224]]).labels
        func label(_ node: String) throws -> String { try #require(labels.first { $0.contains("\"\(node)\"") }, "no layer \(node)") }
        #expect(try label("/layer1/layer1.0/conv1/Conv").hasSuffix("[Winograd F(4x4,3x3)]"))
        #expect(try !label("/layer3/layer3.1/conv1/Conv").contains("Winograd"))
        #expect(try !label("/layer4/layer4.1/conv1/Conv").contains("Winograd"))
    }

    /// Batch workers share one session's packed weights (`replica`): two replicas planning and
    /// running at once on their own threads, in the fast precision whose Winograd weights are
    /// transformed on first use, both match ONNX Runtime.
    @Test func replicasSharingWeightsRunAtOnce() throws {
        let original = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("resnet18-c1.onnx").path,
                                            options: SessionOptions(threads: 1, precision: .fast))
        let input = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("resnet18-c1.b8.input.npy").path)
        let expected = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("resnet18-c1.b8.output.npy").path)
        let replicas = [original.replica(threads: 1), original.replica(threads: 1)]
        nonisolated(unsafe) var outputs = [Tensor?](repeating: nil, count: replicas.count)
        nonisolated(unsafe) let sessions = replicas
        DispatchQueue.concurrentPerform(iterations: sessions.count) { i in outputs[i] = try? sessions[i].run(input)["output"] }
        for (index, output) in outputs.enumerated() {
            let output = try #require(output, "replica \(index) failed")
            let error = zip(output.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
            #expect(error <= Self.tolerance, "replica \(index): max abs error \(error)")
        }
        #expect(replicas.allSatisfy { $0.weights === original.weights }, "replicas must share the packed weights")
    }

    func expectMatch(_ name: String, options: SessionOptions) throws {
        let model = String(name.split(separator: ".")[0])
        let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("\(model).onnx").path, options: options)
        let input = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("\(name).input.npy").path)
        let expected = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("\(name).output.npy").path)
        let output = try #require(try session.run(input)["output"])
        #expect(output.shape == expected.shape)
        let error = zip(output.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        let setting = "\(options.kernelLevel), \(options.precision)"
        #expect(error <= Self.tolerance, "\(name) on \(setting): max abs error \(error)")
        let classes = expected.shape.last!
        for row in 0..<(expected.count / classes) {
            let slice = row * classes..<(row + 1) * classes
            #expect(argmax(output.data[slice]) == argmax(expected.data[slice]), "\(name) row \(row) on \(setting): top class differs")
        }
    }

    /// A batch runs as chunks of images, one thread each; odd batch sizes leave a shorter last
    /// chunk. Rows of the result must still be the images' own, in order.
    @Test(arguments: [3, 5, 7]) func batchesInChunksMatchONNXRuntime(images: Int) throws {
        let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("small_cnn-c1.onnx").path,
                                           options: SessionOptions(threads: 2))
        let input = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("small_cnn-c1.b8.input.npy").path)
        let expected = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("small_cnn-c1.b8.output.npy").path)
        let perImage = input.count / 8, classes = expected.shape[1]
        var shape = input.shape
        shape[0] = images
        let output = try #require(try session.run(Tensor(shape: shape, data: Array(input.data[..<(images * perImage)])))["output"])
        #expect(output.shape == [images, classes])
        let error = zip(output.data, expected.data[..<(images * classes)]).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= Self.tolerance, "batch of \(images): max abs error \(error)")
    }

    /// On several threads, a model whose weights outgrow a 32 MB L3 (ResNet-18: 45 MB) runs a
    /// batch as one plan, since every chunk would read all its weights from memory; a lighter
    /// model (DenseNet-121: 28 MB), and any model on one thread, still runs in chunks.
    @Test func weightHeavyModelsRunBatchesAsOnePlanOnSeveralThreads() throws {
        func chunkCount(_ model: String, threads: Int) throws -> Int? {
            let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("\(model).onnx").path,
                                               options: SessionOptions(threads: threads))
            return try session.chunkCount(for: ["input": [64, 1, 64, 64]])
        }
        #expect(try chunkCount("resnet18-c1", threads: 2) == nil)
        #expect(try chunkCount("resnet18-c1", threads: 1) != nil)
        #expect(try chunkCount("densenet121-c1", threads: 2) != nil)
    }

    /// On several threads a batch runs as a multiple of the threads' count of chunks: 7 chunks
    /// of 13 images on 2 threads kept one thread busy for 4 chunks and the other for 3.
    @Test(arguments: [13, 16, 7]) func chunksShareABatchEvenlyBetweenThreads(batch: Int) throws {
        var options = SessionOptions(threads: 2)
        options.enforcesDeclaredShape = false
        let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("small_cnn-c1.onnx").path, options: options)
        // At 256 x 256 the largest activation holds 2 images per chunk, so the cache bound sets the count.
        let chunks = try #require(try session.chunkCount(for: ["input": [batch, 1, 256, 256]]))
        #expect(chunks > 2 && chunks % 2 == 0, "batch of \(batch): \(chunks) chunks on 2 threads")
    }

    @Test func repeatedRunsGiveIdenticalResults() throws {
        let session = try InferenceSession(contentsOf: Self.folder.appendingPathComponent("small_cnn-c1.onnx").path)
        let input = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("small_cnn-c1.b8.input.npy").path)
        let first = try session.run(input)["output"]
        let second = try session.run(input)["output"]
        #expect(first == second)
    }

    func argmax(_ values: ArraySlice<Float>) -> Int {
        values.indices.max { values[$0] < values[$1] }!
    }
}
