import Foundation
import RadLensTestSupport
import Testing

/// The shipped model through the full Swift pipeline on the Kermany data (skipped when absent).
@Suite(.serialized) struct ShippedModelTests {
    /// `radlens evaluate` on the 624-image test set gives the model card's figures, and the Python
    /// metrics code computes the same figures from the Swift predictions; the fast precision
    /// (Winograd convolutions) leaves every figure unchanged.
    @Test(arguments: ["fp32", "fast"])
    func evaluateReproducesTheModelCardFigures(precision: String) throws {
        guard let data = TestPaths.kermany, let python = TestPaths.python else { return }
        let predictions = try TestPaths.temporaryDirectory("evaluate-\(precision)").appendingPathComponent("predictions.csv")
        let result = try radlens(["evaluate", data.appendingPathComponent("224/test").path, "--model", shippedModel,
                                  "--format", "json", "--predictions", predictions.path, "--precision", precision])
        #expect(result.status == 0, "\(result.stderr)")
        let swift = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: shippedModel + "/manifest.json"))) as! [String: Any]
        let card = ((manifest["metrics"] as! [String: Any])["test"] as! [String: Any])
        let metrics = try ProcessRunner.run(python, [TestPaths.repository.appendingPathComponent("Training/metrics.py").path, predictions.path])
        let pythonFigures = try JSONSerialization.jsonObject(with: metrics.stdout) as! [String: Any]
        #expect(swift["n"] as? Int == 624)
        for key in ["auroc", "accuracy", "sensitivity", "specificity", "ece"] {
            let ours = swift[key] as! Double
            #expect(abs(ours - (pythonFigures[key] as! Double)) < 1e-9, "\(key): Swift \(ours) vs Python metrics on the same predictions")
            #expect(abs(ours - (card[key] as! Double)) < 1e-5, "\(key): Swift \(ours) vs the model card")
        }
        #expect(swift["confusion"] as? [[Int]] == card["confusion"] as? [[Int]])
    }

    /// The OOD gate flags few test images, and full-size files decide like their 224 copies.
    @Test func oodRateAndFullResolutionAgreement() throws {
        guard let data = TestPaths.kermany else { return }
        let output = try TestPaths.temporaryDirectory("kermany-batch")
        _ = try radlens(["batch", data.appendingPathComponent("224/test").path, "--output", output.appendingPathComponent("test").path,
                         "--model", shippedModel, "--quiet"])
        let test = try normalizedResults(output.appendingPathComponent("test"))
        let flagged = test.filter { $0.contains("out-of-distribution") }.count
        #expect(Double(flagged) / Double(test.count) <= 0.05, "OOD flags \(flagged) of \(test.count) test images")

        let full = data.appendingPathComponent("fullres-sample")
        _ = try radlens(["batch", full.path, "--output", output.appendingPathComponent("full").path, "--model", shippedModel, "--quiet"])
        let copies = output.appendingPathComponent("copies")
        // The 224 copies of the same files, analysed as a folder with the same relative layout.
        for line in try normalizedResults(output.appendingPathComponent("full")) {
            let path = (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["input"] as! [String: Any]
            let relative = path["path"] as! String
            let target = copies.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: data.appendingPathComponent("224").appendingPathComponent(relative), to: target)
        }
        _ = try radlens(["batch", copies.path, "--output", output.appendingPathComponent("copies-out").path, "--model", shippedModel, "--quiet"])
        func decisions(_ folder: String) throws -> [String: Bool] {
            Dictionary(uniqueKeysWithValues: try normalizedResults(output.appendingPathComponent(folder)).map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let finding = (object["findings"] as! [[String: Any]])[0]
                return ((object["input"] as! [String: Any])["path"] as! String, (finding["probability"] as! Double) >= (finding["threshold"] as! Double))
            })
        }
        let a = try decisions("full"), b = try decisions("copies-out")
        let same = a.filter { b[$0.key] == $0.value }.count
        #expect(a.count == 211 && Double(same) / Double(a.count) >= 0.98, "same decision on \(same) of \(a.count) pairs")
    }
}
