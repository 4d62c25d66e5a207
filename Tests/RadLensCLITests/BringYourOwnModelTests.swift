import Foundation
import RadLensTestSupport
import Testing

/// The README's "Bring your own model" section, run as written (its shell block, line by line,
/// with `radlens` the built binary) in a folder holding a 3-channel model of "our own"
/// (`my-model.onnx`: the multilabel-rgb fixture's network) and `chest.png`. Then every report
/// format of a bundle made by `model init` carries every finding.
@Suite struct BringYourOwnModelTests {
    /// The commands between the README's bring-your-own-model markers, continuation lines joined.
    static func readmeCommands() throws -> [String] {
        let readme = try String(contentsOf: TestPaths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "<!-- bring-your-own-model"))
        let end = try #require(readme.range(of: "<!-- end -->", range: start.upperBound..<readme.endIndex))
        let block = readme[start.upperBound..<end.lowerBound]
        let body = try #require(block.range(of: "```sh\n")).upperBound
        let shell = block[body...].prefix { $0 != "`" }
        return shell.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    static func shellWords(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }

    @Test func theReadmeSectionRunsAsWritten() throws {
        let folder = try TestPaths.temporaryDirectory("byom")
        try FileManager.default.copyItem(at: TestPaths.fixture("models/heads/multilabel-rgb/model.onnx"), to: folder.appendingPathComponent("my-model.onnx"))
        try FileManager.default.copyItem(at: TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.png"), to: folder.appendingPathComponent("chest.png"))
        let commands = try Self.readmeCommands()
        #expect(commands.count == 4 && commands.allSatisfy { $0.hasPrefix("radlens ") }, "\(commands)")
        var last = ""
        for command in commands {
            let run = try ProcessRunner.run(TestPaths.radlens.path, Array(Self.shellWords(command).dropFirst()), currentDirectory: folder)
            #expect(run.status == 0, "`\(command)` failed: \(run.stderr)")
            last = run.stdoutText
        }
        // The analysis printed the text report and then the JSON with the three labels and the group-less findings.
        #expect(last.contains("Pleural effusion") == false && last.contains("Effusion: probability"), "\(last)")
        let json = try JSON(Data(last[last.range(of: "{\n")!.lowerBound...].utf8))
        #expect(try json["findings"].array().map { try $0["label"].string() } == ["effusion", "nodule", "cardiomegaly"])
        #expect(try json["input"]["format"].string() == "png")
    }

    /// A multiclass bundle with a group, made by `model init`: JSON, FHIR, HTML, text and the SR
    /// each carry the group and both classes.
    @Test func everyFormatCarriesEveryFinding() throws {
        let folder = try TestPaths.temporaryDirectory("byom-formats")
        let bundle = folder.appendingPathComponent("bundle").path
        let made = try radlens(["model", "init", TestPaths.fixture("models/heads/multiclass-gray/model.onnx").path, "--output", bundle,
                                "--head", "multiclass", "--labels", "normal,bacterial,viral", "--reference-class", "normal",
                                "--group", "pneumonia=bacterial+viral", "--scale", "xrv", "--std", "1024"])
        try #require(made.status == 0, "\(made.stderr)")
        let check = try radlens(["model", "check", bundle])
        #expect(check.status == 0 && !check.stdoutText.contains("FAIL"), "\(check.stdoutText)")
        let output = folder.appendingPathComponent("out")
        let image = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.dcm").path
        let run = try radlens(["analyze", image, "--model", bundle, "--format", "text,json,fhir,html,sr", "--output", output.path])
        try #require(run.status == 0, "\(run.stderr)")
        let json = try JSON(try Data(contentsOf: output.appendingPathComponent("chest-pa-cr.json")))
        #expect(try json["findings"].array().map { try $0["label"].string() } == ["pneumonia", "bacterial", "viral"])
        let fhir = try JSON(try Data(contentsOf: output.appendingPathComponent("chest-pa-cr.fhir.json")))
        #expect(try fhir["contained"].array().filter { try $0["resourceType"].string() == "Observation" }.count == 3)
        let html = try String(contentsOf: output.appendingPathComponent("chest-pa-cr.html"), encoding: .utf8)
        for display in ["Pneumonia", "Bacterial", "Viral"] { #expect(html.contains("<tr><td>\(display)</td>")) }
        // model init found the final layer in the ONNX graph: the class activation weights are
        // torch's (the fixture manifest's, written by Training/make_head_fixtures.py), and every
        // finding has its own map, in the HTML and as a PNG.
        let initialised = try JSON(try Data(contentsOf: URL(fileURLWithPath: bundle).appendingPathComponent("manifest.json")))
        let torch = try JSON(try Data(contentsOf: TestPaths.fixture("models/heads/multiclass-gray/manifest.json")))
        #expect(try initialised["model"]["featureMapOutput"].string() == "feature_map")
        let found = try initialised["cam"]["logitWeights"].array().map { try $0.array().map { try $0.double() } }
        let wanted = try torch["cam"]["logitWeights"].array().map { try $0.array().map { try $0.double() } }
        #expect(found.count == 3 && zip(found, wanted).allSatisfy { a, b in a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-7 } })
        for id in ["heatmap", "heatmap-bacterial", "heatmap-viral"] { #expect(html.contains("<img id=\"\(id)\""), "\(id)") }
        for name in ["chest-pa-cr.heatmap.png", "chest-pa-cr.heatmap.bacterial.png", "chest-pa-cr.heatmap.viral.png"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path), "\(name)")
        }
        #expect(try json["findings"].array().allSatisfy { $0["attention"]["zone"].value is String })
        let text = try String(contentsOf: output.appendingPathComponent("chest-pa-cr.txt"), encoding: .utf8)
        // The impression names the favoured class exactly when one class (not the reference) won.
        let favoured = try json["findings"].array().dropFirst().contains { try $0["decision"].string() != "negative" }
        #expect(text.contains("softmax over the classes") && text.contains("Pattern favours") == favoured, "\(text)")
        if let python = TestPaths.python {
            let read = try ProcessRunner.run(python, [TestPaths.repository.appendingPathComponent("Tests/Python/read_dicom_result.py").path,
                                                      output.appendingPathComponent("chest-pa-cr.sr.dcm").path])
            #expect(read.status == 0, "\(read.stderr)")
            #expect(try JSON(read.stdout)["findings"].array().map { try $0["label"].string() } == ["pneumonia", "bacterial", "viral"])
        }
        if let dciodvfy = try ProcessRunner.dciodvfyErrors(output.appendingPathComponent("chest-pa-cr.sr.dcm").path) {
            #expect(dciodvfy.errors.isEmpty, "\(dciodvfy.errors)")
        }
    }
}
