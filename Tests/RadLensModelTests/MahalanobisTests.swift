import Foundation
import RadLensInference
import RadLensModel
import RadLensTestSupport
import Testing

/// The out-of-distribution distance equals numpy's float64 sqrt((f - m)ᵀ P (f - m)) with the
/// shipped bundle's own statistics (576 features, a multiple of the 8 summed at a time) and with
/// a corner of them (13 features: a remainder summed one by one).
@Suite struct MahalanobisTests {
    @Test(.needsPython) func distanceMatchesNumPy() throws {
        let bundle = try ModelBundle(at: TestPaths.repository.appendingPathComponent("Models/cxr-pneumonia").path)
        let ood = try #require(bundle.manifest.ood)
        let precisionPath = bundle.directory.appendingPathComponent(ood.precisionFile).path
        let precision = try NumPyFile.float32Values(contentsOf: precisionPath).values.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var random = SplitMix(state: 15)
        func features(around mean: [Float], spread: Float) -> [Float] {
            mean.map { $0 + spread * (Float(random.next() % 2001) / 1000 - 1) }
        }
        let c = ood.mean.count, small = 13
        let corner = (0..<small).flatMap { i in precision[(i * c)..<(i * c + small)] }
        var cases: [(mean: [Float], precision: [Float], features: [Float])] = []
        for spread: Float in [0, 0.05, 0.5, 3] {
            cases.append((ood.mean, precision, features(around: ood.mean, spread: spread)))
            cases.append((Array(ood.mean.prefix(small)), corner, features(around: Array(ood.mean.prefix(small)), spread: spread)))
        }
        let folder = try TestPaths.temporaryDirectory("mahalanobis")
        var ours: [Double] = []
        for (index, item) in cases.enumerated() {
            let model = try #require(Mahalanobis(mean: item.mean, precisionValues: item.precision.withUnsafeBytes { Data($0) }, threshold: 1))
            ours.append(Double(model.distance(item.features)))
            for (name, values) in [("mean", item.mean), ("precision", item.precision), ("features", item.features)] {
                try values.withUnsafeBytes { Data($0) }.write(to: folder.appendingPathComponent("\(index).\(name).f32"))
            }
        }
        let script = """
            import sys, numpy as np
            folder, count = sys.argv[1], int(sys.argv[2])
            for i in range(count):
                m, p, f = (np.fromfile(f"{folder}/{i}.{n}.f32", dtype=np.float32).astype(np.float64) for n in ("mean", "precision", "features"))
                d = f - m
                print(np.sqrt(max(d @ p.reshape(len(m), len(m)) @ d, 0.0)))
            """
        let result = try ProcessRunner.run(try #require(TestPaths.python), ["-c", script, folder.path, String(cases.count)])
        let reference = result.stdoutText.split(separator: "\n").compactMap { Double($0) }
        try #require(reference.count == cases.count, "\(result.stderr)")
        for (index, (distance, expected)) in zip(ours, reference).enumerated() {
            // The distance is returned as a Float: agreement to float32 precision.
            #expect(abs(distance - expected) <= 1e-6 * max(1, expected), "case \(index): \(distance) against numpy's \(expected)")
        }
        #expect(reference[0] == 0 && reference[6] > reference[4], "the cases span zero to far from the training data")
    }
}
