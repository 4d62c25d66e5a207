import Foundation
import RadLensTestSupport
import Testing

/// `radlens analyze` end to end, and its outputs checked by independent validators.
@Suite struct AnalyzeCommandTests {
    static let chest = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path

    @Test func textReportHasTheSectionsAndTheDisclaimer() throws {
        let result = try radlens(["analyze", Self.chest, "--model", shippedModel])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdoutText
        for section in ["EXAMINATION", "TECHNIQUE", "FINDINGS", "IMPRESSION", "Research use only, not for diagnostic use."] {
            #expect(text.contains(section), "missing \(section)")
        }
        let chinese = try radlens(["analyze", Self.chest, "--model", shippedModel, "--lang", "zh"]).stdoutText
        for section in ["检查项目", "影像所见", "印象", "仅供研究使用"] { #expect(chinese.contains(section)) }
    }

    @Test func badFileFailsClearly() throws {
        let bad = TestPaths.fixture("malformed/png-bad-ihdr-crc.png").path
        let result = try radlens(["analyze", bad, "--model", shippedModel])
        #expect(result.status == 1)
        #expect(result.stderr.contains(bad))
    }

    @Test(.needsPython) func jsonFollowsTheSchemaAndFHIRValidates() throws {
        let python = try #require(TestPaths.python)
        let output = try TestPaths.temporaryDirectory("analyze")
        let inputs = [Self.chest, TestPaths.repository.appendingPathComponent("SampleImages/photo-face.jpeg").path,
                      TestPaths.fixture("malformed/empty.png").path]
        let run = try radlens(["analyze"] + inputs + ["--model", shippedModel, "--format", "json,fhir,html", "--output", output.path])
        #expect(run.status == 1)  // the empty file fails
        let schema = TestPaths.repository.appendingPathComponent("docs/schema/analysis-result.v2.schema.json").path
        let script = """
            import json, sys, glob, jsonschema
            from fhir.resources.R4B.diagnosticreport import DiagnosticReport
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            files = sorted(glob.glob(sys.argv[2] + "/*.json"))
            reports = [f for f in files if not f.endswith(".fhir.json")]
            assert len(reports) == 3, reports
            for f in reports:
                jsonschema.validate(json.load(open(f)), schema, format_checker=jsonschema.FormatChecker())
            fhir = [f for f in files if f.endswith(".fhir.json")]
            for f in fhir:
                report = DiagnosticReport.model_validate(json.load(open(f)))
                assert report.status in ("preliminary", "cancelled"), report.status
            print("validated", len(reports), "reports and", len(fhir), "FHIR DiagnosticReports")
            """
        let check = try ProcessRunner.run(python, ["-c", script, schema, output.path])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdoutText.contains("validated 3 reports and 3 FHIR"))
        let html = try String(contentsOf: output.appendingPathComponent("chest-pa-cr.html"), encoding: .utf8)
        #expect(html.contains("id=\"heatmap\"") && html.contains("data:image/png;base64,"))
    }

    /// The first image is decoded and classified while the other core still checks the model;
    /// its report's total still counts every stage, as a later image's does.
    @Test func timingsCountTheStagesOfTheFirstImage() throws {
        let result = try radlens(["analyze", Self.chest, "--model", shippedModel, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let timings = try JSON(result.stdout)["timingsMs"]
        let decode = try timings["decode"].double(), preprocess = try timings["preprocess"].double()
        let inference = try timings["inference"].double(), total = try timings["total"].double()
        #expect(decode > 0 && preprocess > 0 && inference > 0, "\(timings)")
        #expect(total >= decode + preprocess + inference, "total \(total) ms leaves out a stage")
    }

    @Test func outOfDistributionImagesAreFlagged() throws {
        for name in ["photo-face.jpeg", "extremity-ap-cr.jpeg"] {
            let path = TestPaths.repository.appendingPathComponent("SampleImages/\(name)").path
            let result = try radlens(["analyze", path, "--model", shippedModel, "--format", "json"])
            let flags = try JSON(result.stdout)["quality"]["flags"].strings()
            #expect(flags.contains("out-of-distribution"), "\(name) should be flagged")
        }
    }

    /// `--precision fast` (Winograd convolutions, including the 24-channel first block) gives the
    /// same decision as fp32 on every sample, with probabilities within 1e-5, and says so.
    @Test func fastPrecisionAgreesWithFP32() throws {
        for name in ["chest-pa-cr.jpeg", "chest-pa-cr.png", "extremity-ap-cr.jpeg", "photo-face.jpeg"] {
            let path = TestPaths.repository.appendingPathComponent("SampleImages/\(name)").path
            var findings: [String: JSON] = [:]
            for precision in ["fp32", "fast"] {
                let result = try radlens(["analyze", path, "--model", shippedModel, "--format", "json", "--precision", precision])
                #expect(result.status == 0, "\(result.stderr)")
                let json = try JSON(result.stdout)
                #expect(try json["provenance"]["precision"].string() == precision)
                findings[precision] = json["findings"][0]
            }
            let exact = try #require(findings["fp32"]), fast = try #require(findings["fast"])
            #expect(abs(try exact["probability"].double() - fast["probability"].double()) < 1e-5, "\(name)")
            #expect(try exact["decision"].string() == fast["decision"].string(), "\(name)")
        }
    }

    /// The packed-weight cache changes when the weights are packed, never the report: without
    /// it, on the run that writes it and on the runs that read it, at both precisions.
    @Test func packedWeightCacheLeavesReportsUnchanged() throws {
        let cache = try TestPaths.temporaryDirectory("weight-cache")
        func report(_ precision: String, cache directory: String) throws -> String {
            let result = try radlens(["analyze", Self.chest, "--model", shippedModel, "--format", "json", "--precision", precision],
                                     environment: ["RADLENS_CACHE_DIR": directory])
            #expect(result.status == 0, "\(result.stderr)")
            var object = try JSON(result.stdout).object()
            object["timingsMs"] = nil
            var provenance = object["provenance"] as? [String: Any]
            provenance?["generatedAt"] = nil
            object["provenance"] = provenance
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        for precision in ["fp32", "fast"] {
            let uncached = try report(precision, cache: "off")
            for run in ["writes", "reads", "reads again"] {
                #expect(try report(precision, cache: cache.path) == uncached, "\(precision): the run that \(run) the cache differs")
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("packed-weights").path)
        #expect(files.count == 1 && files[0].hasSuffix(".packed"), "\(files)")
        // `analyze` leaves the file's checksum to the other core; a file damaged past its header
        // is caught there, the model packed afresh and the file rewritten.
        let file = cache.appendingPathComponent("packed-weights/\(files[0])")
        let good = try Data(contentsOf: file)
        var damaged = good
        damaged[damaged.count / 2] ^= 0x01
        try damaged.write(to: file)
        #expect(try report("fp32", cache: cache.path) == report("fp32", cache: "off"), "a damaged cache file changed the report")
        #expect(try Data(contentsOf: file) == good, "the damaged cache file was not rewritten")
    }

    @Test func customTemplateReplacesTheBundles() throws {
        let template = try TestPaths.temporaryDirectory("template").appendingPathComponent("mine.mustache")
        try Data("{{% CONTENT_TYPE: TEXT}}\n{{#findings}}{{display}}={{decision}}{{/findings}} <{{input.path}}>\n".utf8).write(to: template)
        let result = try radlens(["analyze", Self.chest, "--model", shippedModel, "--template", template.path])
        #expect(result.stdoutText.hasPrefix("Pneumonia="))
        #expect(result.stdoutText.contains("<\(Self.chest)>"), "text templates are not HTML-escaped")
    }
}

/// The sample images against their committed expected outputs (the golden tests).
@Suite struct RegressionTests {
    @Test func sampleImagesMatchExpectedOutputs() throws {
        let result = try radlens(["regress", TestPaths.repository.appendingPathComponent("SampleImages").path, "--model", shippedModel])
        #expect(result.status == 0, "\(result.stdoutText)")
    }
}
