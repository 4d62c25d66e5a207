import Foundation
import RadLensImaging
import RadLensInference
import RadLensPreprocess
import RadLensTestSupport
import Testing

/// The Swift preprocessing equals the Python reference the model was trained with
/// (Training/radlens_preprocess.py, numpy + Pillow), computed live in the test venv.
@Suite struct PreprocessParityTests {
    static let spec = PreprocessingSpec(resize: ResizeSpec(width: 160, height: 128), mean: 0.48, std: 0.24)
    /// Maximum absolute difference allowed after normalisation.
    static let tolerance: Float = 1e-3

    /// Runs the Python reference on `files`, returning one [1, H, W] tensor per file.
    static func pythonReference(_ files: [String]) throws -> [Tensor] {
        let python = try #require(TestPaths.python)
        let output = try TestPaths.temporaryDirectory("preprocess")
        let script = """
            import sys, numpy as np
            sys.path.insert(0, sys.argv[1])
            import radlens_preprocess as rp
            for i, path in enumerate(sys.argv[3:]):
                np.save(f"{sys.argv[2]}/{i}.npy", rp.preprocess(path, \(spec.resize.height), \(spec.resize.width), \(spec.mean[0]), \(spec.std[0])))
            """
        let result = try ProcessRunner.run(python, ["-c", script, TestPaths.repository.appendingPathComponent("Training").path, output.path] + files)
        guard result.status == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: result.stderr]) }
        return try files.indices.map { try NumPyFile.read(contentsOf: output.appendingPathComponent("\($0).npy").path) }
    }

    static func compare(_ files: [String]) throws -> [(String, Float)] {
        let references = try pythonReference(files)
        let preprocessor = try Preprocessor(spec)
        let decoder = ImageDecoder()
        return try zip(files, references).map { file, reference in
            let ours = preprocessor.apply(try decoder.decode(contentsOf: file))
            #expect(reference.shape == [1, spec.resize.height, spec.resize.width])
            return (file, zip(ours, reference.data).map { abs($0 - $1) }.max() ?? .infinity)
        }
    }

    @Test(.needsPython) func sampleImagesMatchThePythonReference() throws {
        let files = ["SampleImages/chest-pa-cr.jpeg", "SampleImages/chest-pa-cr.png", "SampleImages/photo-face.jpeg",
                     "Tests/Fixtures/valid/rgb8.png", "Tests/Fixtures/valid/palette8.png", "Tests/Fixtures/valid/gray16.png",
                     "Tests/Fixtures/valid/rgb-420-baseline.jpeg"]
            .map { TestPaths.repository.appendingPathComponent($0).path }
        for (file, error) in try Self.compare(files) {
            #expect(error <= Self.tolerance, "\(file): max abs difference \(error)")
        }
    }

    @Test(.needsKermany, .needsPython) func kermanyRadiographsMatchThePythonReference() throws {
        let data = try #require(TestPaths.kermany)
        let all = TestPaths.filesRecursively(in: data.appendingPathComponent("fullres-sample"), extensions: ["jpeg"])
            + TestPaths.filesRecursively(in: data.appendingPathComponent("224/test"), extensions: ["jpeg"])
        let files = stride(from: 0, to: all.count, by: max(1, all.count / 24)).map { all[$0].path }
        var worst: Float = 0
        for (file, error) in try Self.compare(files) {
            worst = max(worst, error)
            #expect(error <= Self.tolerance, "\(file): max abs difference \(error)")
        }
        print("preprocessing parity on \(files.count) Kermany radiographs: max abs difference \(worst)")
    }

    @Test func resizeOfAConstantImageIsConstant() throws {
        let image = Image(width: 300, height: 200, channels: 1, pixels: .uint8(Array(repeating: 128, count: 60_000)))
        let values = try Preprocessor(Self.spec).apply(image)
        let expected = (128 / 255 - Self.spec.mean[0]) / Self.spec.std[0]
        #expect(values.allSatisfy { abs($0 - expected) < 1e-5 })
    }
}
