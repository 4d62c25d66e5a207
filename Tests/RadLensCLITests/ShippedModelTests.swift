import Foundation
import RadLensTestSupport
import Testing

/// The shipped model through the full Swift pipeline on the Kermany data (skipped when absent).
@Suite(.serialized) struct ShippedModelTests {
    /// `radlens evaluate` on the 624-image test set gives the model card's figures, and the Python
    /// metrics code computes the same figures from the Swift predictions; the fast precision
    /// (Winograd convolutions) leaves every figure unchanged.
    @Test(.needsKermany, .needsPython, arguments: ["fp32", "fast"])
    func evaluateReproducesTheModelCardFigures(precision: String) throws {
        let data = try #require(TestPaths.kermany), python = try #require(TestPaths.python)
        let folder = try TestPaths.temporaryDirectory("evaluate-\(precision)")
        let predictions = folder.appendingPathComponent("predictions.csv"), page = folder.appendingPathComponent("evaluation.html")
        let result = try radlens(["evaluate", data.appendingPathComponent("224/test").path, "--model", shippedModel,
                                  "--format", "json", "--predictions", predictions.path, "--precision", precision, "--report", page.path])
        #expect(result.status == 0, "\(result.stderr)")
        let swift = try JSON(result.stdout)
        let card = try JSON(contentsOf: URL(fileURLWithPath: shippedModel + "/manifest.json"))["metrics"]["test"]
        let metrics = try ProcessRunner.run(python, [TestPaths.repository.appendingPathComponent("Training/metrics.py").path, predictions.path])
        let pythonFigures = try JSON(metrics.stdout)
        #expect(try swift["n"].int() == 624)
        for key in ["auroc", "accuracy", "sensitivity", "specificity", "ece"] {
            let ours = try swift[key].double()
            #expect(abs(ours - (try pythonFigures[key].double())) < 1e-9, "\(key): Swift \(ours) vs Python metrics on the same predictions")
            #expect(abs(ours - (try card[key].double())) < 1e-5, "\(key): Swift \(ours) vs the model card")
        }
        #expect(try swift["confusion"].array().map { try $0.ints() } == card["confusion"].array().map { try $0.ints() })
        // The evaluation page lists all 624 images and shows the misclassified ones with their heatmaps.
        let html = try String(contentsOf: page, encoding: .utf8)
        let confusion = try swift["confusion"].array().map { try $0.ints() }
        let table = try #require(html.components(separatedBy: "id=\"predictions\"").last)
        #expect(table.components(separatedBy: "<tr><td>").count + table.components(separatedBy: "<tr class=\"error\"><td>").count - 2 == 624)
        #expect(html.contains("\(confusion[0][1] + confusion[1][0]) of 624 images"))
        #expect(html.components(separatedBy: "<figure class=\"case\"><img").count - 1 == min(confusion[0][1] + confusion[1][0], 48))
    }

    /// The OOD gate flags few test images, and full-size files decide like their 224 copies.
    @Test(.needsKermany) func oodRateAndFullResolutionAgreement() throws {
        let data = try #require(TestPaths.kermany)
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
            let relative = try JSON(Data(line.utf8))["input"]["path"].string()
            let target = copies.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: data.appendingPathComponent("224").appendingPathComponent(relative), to: target)
        }
        _ = try radlens(["batch", copies.path, "--output", output.appendingPathComponent("copies-out").path, "--model", shippedModel, "--quiet"])
        func decisions(_ folder: String) throws -> [String: Bool] {
            Dictionary(uniqueKeysWithValues: try normalizedResults(output.appendingPathComponent(folder)).map { line in
                let object = try JSON(Data(line.utf8))
                let finding = object["findings"][0]
                return (try object["input"]["path"].string(), try finding["probability"].double() >= finding["threshold"].double())
            })
        }
        let a = try decisions("full"), b = try decisions("copies-out")
        let same = a.filter { b[$0.key] == $0.value }.count
        #expect(a.count == 211 && Double(same) / Double(a.count) >= 0.98, "same decision on \(same) of \(a.count) pairs")
    }
}
