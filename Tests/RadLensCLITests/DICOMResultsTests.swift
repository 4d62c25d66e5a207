import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// `--format sr,sc`: DICOM results that PACS can file with the source study. Every SR and SC the
/// batch below writes goes through the independent validators (dciodvfy, dsrdump, PixelMed,
/// highdicom) and our own reader.
@Suite struct DICOMResultsTests {
    /// A CR (adult: refused as out-of-distribution), the planted-PHI file, a pneumonia JPEG and a
    /// normal JPEG (positive and negative findings; PNG/JPEG inputs start a new study).
    static let inputs = ["SampleImages/chest-pa-cr.dcm", "Tests/Fixtures/dicom/phi/planted.dcm",
                         "SampleImages/child-pneumonia-person38_virus_84.jpeg", "SampleImages/child-normal-IM-0061-0001.jpeg"]

    /// One batch over the inputs with every report format, shared by the tests of this suite.
    static let batch: Result<URL, any Error> = Result {
        let input = try TestPaths.temporaryDirectory("dicom-results-input")
        for path in inputs {
            try FileManager.default.copyItem(at: TestPaths.repository.appendingPathComponent(path),
                                             to: input.appendingPathComponent((path as NSString).lastPathComponent))
        }
        let output = try TestPaths.temporaryDirectory("dicom-results")
        let run = try radlens(["batch", input.path, "--output", output.path, "--model", shippedModel,
                               "--format", "json,text,fhir,html,sr,sc", "--log-format", "json"])
        guard run.status == 0 else { throw ResultsError("batch failed: \(run.stderr)") }
        try Data(run.stderr.utf8).write(to: output.appendingPathComponent("stderr.log"))
        return output
    }

    struct ResultsError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func output() throws -> URL { try batch.get() }

    static func results(_ suffix: String) throws -> [URL] {
        let files = TestPaths.files(in: try output()).filter { $0.lastPathComponent.hasSuffix(suffix) }
        #expect(files.count == inputs.count, "one \(suffix) per input")
        return files
    }

    /// The JSON report written beside a DICOM result.
    static func report(for result: URL) throws -> JSON {
        let stem = result.lastPathComponent.replacingOccurrences(of: ".sr.dcm", with: "").replacingOccurrences(of: ".sc.dcm", with: "")
        return try JSON(try Data(contentsOf: result.deletingLastPathComponent().appendingPathComponent(stem + ".json")))
    }

    @Test(.needsTool("dciodvfy"))
    func dciodvfyFindsNoErrorInAnyResult() throws {
        for file in try Self.results(".sr.dcm") + Self.results(".sc.dcm") {
            let check = try ProcessRunner.run("dciodvfy", [file.path])
            let errors = check.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }
            #expect(errors.isEmpty && check.status == 0, "\(file.lastPathComponent): \(errors)")
            #expect(check.stderr.contains(file.lastPathComponent.hasSuffix(".sr.dcm") ? "Comprehensive3DSR" : "SCImage"))
        }
        // The rerun's objects (analyze, not batch) too.
        let rerun = try TestPaths.temporaryDirectory("dicom-results-analyze")
        let analyze = try radlens(["analyze", TestPaths.repository.appendingPathComponent(Self.inputs[1]).path, "--model", shippedModel,
                                   "--format", "sr,sc", "--output", rerun.path])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        for file in TestPaths.files(in: rerun, extensions: ["dcm"]) {
            let check = try #require(try ProcessRunner.dciodvfyErrors(file.path))
            #expect(check.errors.isEmpty && check.status == 0, "\(file.lastPathComponent): \(check.errors)")
        }
    }

    @Test(.needsTool("dsrdump"))
    func dsrdumpReadsEverySR() throws {
        for file in try Self.results(".sr.dcm") {
            let dump = try ProcessRunner.run("dsrdump", [file.path])
            #expect(dump.status == 0, "\(file.lastPathComponent): \(dump.stderr)")
            #expect(dump.stdoutText.contains("Comprehensive 3D SR Document"))
            #expect(dump.stdoutText.contains("<CONTAINER:(,,\"Imaging Measurement Report\")"))
            #expect(dump.stdoutText.contains("Verification Flag   : UNVERIFIED"))
        }
    }

    /// PixelMed's validator checks the content tree against TID 1500 (about 5 s a file: two files).
    @Test(.needsTool("java"), .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/java/pixelmed.jar"), "libpixelmed-java is not installed"))
    func pixelMedFindsNoErrorInTheSR() throws {
        let files = try Self.results(".sr.dcm").filter { ["chest-pa-cr.dcm.sr.dcm", "child-pneumonia-person38_virus_84.jpeg.sr.dcm"].contains($0.lastPathComponent) }
        #expect(files.count == 2)
        for file in files {
            let check = try ProcessRunner.run("java", [
                // PixelMed's compiled templates exceed the JDK's default XPath limits.
                "-Djdk.xml.xpathExprOpLimit=0", "-Djdk.xml.xpathExprGrpLimit=0", "-Djdk.xml.xpathTotalOpLimit=0",
                "-cp", "/usr/share/java/pixelmed.jar", "com.pixelmed.validate.DicomSRValidator", file.path])
            let text = check.stdoutText + check.stderr
            #expect(text.contains("Found Root Template TID_1500 (MeasurementReport)"), "\(file.lastPathComponent): \(text)")
            #expect(text.contains("IOD validation complete"))
            #expect(!text.contains("Error"), "\(file.lastPathComponent): \(text)")
        }
    }

    /// highdicom reads back each finding as the JSON report states it.
    @Test(.needsPython)
    func highdicomReadsTheFindingsOfTheJSONReport() throws {
        let python = try #require(TestPaths.python)
        let reader = TestPaths.repository.appendingPathComponent("Tests/Python/read_dicom_result.py").path
        for file in try Self.results(".sr.dcm") {
            let read = try ProcessRunner.run(python, [reader, file.path])
            #expect(read.status == 0, "\(file.lastPathComponent): \(read.stderr)")
            let sr = try JSON(read.stdout), report = try Self.report(for: file)
            let outOfDistribution = try report["quality"]["flags"].strings().contains("out-of-distribution")
            let findings = try sr["findings"].array(), expected = try report["findings"].array()
            #expect(findings.count == expected.count)
            for (finding, json) in zip(findings, expected) {
                #expect(try finding["label"].string() == json["label"].string())
                #expect(try finding["code"].string() == json["code"]["code"].string())
                #expect(try finding["scheme"].string() == "SCT")
                #expect(try finding["decision"].string() == (outOfDistribution ? "indeterminate" : json["decision"].string()))
                #expect(abs(try finding["probability"].double() - json["probability"].double()) < 1e-6)
                #expect(try finding["algorithmName"].string() == "RadLens cxr-pneumonia")
                #expect(try finding["algorithmVersion"].string() == report["model"]["version"].string())
                #expect(try finding["algorithmParameters"].string() == "model sha256 " + report["model"]["sha256"].string())
            }
            #expect(try sr["uuidVersions"].ints() == [8, 8], "instance and series UIDs are name-based UUIDs")
            #expect(try sr["templateRoot"].string() == "1500")
            #expect(try sr["verificationFlag"].string() == "UNVERIFIED")
            #expect(try sr["comments"].strings().first == "Research use only, not for diagnostic use.")
            let equipment = sr["contributingEquipment"][0]
            #expect(try equipment["purpose"].strings() == ["Newcode1", "99IHE", "Processing Algorithm"])
            #expect(try equipment["deviceUID"].string() == sr["deviceObserverUID"].string())
            if let study = try? report["input"]["study"]["studyInstanceUID"].string() {
                #expect(try sr["studyInstanceUID"].string() == study)
                let source = try DICOMFile(contentsOf: TestPaths.repository.appendingPathComponent(
                    Self.inputs.first { $0.hasSuffix(file.lastPathComponent.replacingOccurrences(of: ".sr.dcm", with: "")) }!).path)
                let instance = try #require(source.dataset.string(.sopInstanceUID))
                #expect(try sr["imageLibrary"].strings() == [instance])
                #expect(try sr["evidence"].strings() == [instance])
                #expect(try sr["findings"][0]["sourceImages"].strings() == [instance])
            } else {
                #expect(try sr["imageLibrary"].strings().isEmpty)
                #expect(try sr["patientID"].string() == "")
            }
        }
        for file in try Self.results(".sc.dcm") {
            let read = try ProcessRunner.run(python, [reader, file.path])
            #expect(read.status == 0, "\(file.lastPathComponent): \(read.stderr)")
            let sc = try JSON(read.stdout)
            #expect(try sc["photometricInterpretation"].string() == "RGB" && sc["burnedInAnnotation"].string() == "YES")
            #expect(try sc["shape"].ints() == [sc["rows"].int(), sc["columns"].int(), 3])
        }
    }

    /// SR and SC join the source's study, in new series; a rerun writes the same UIDs.
    @Test func resultsJoinTheSourceStudyAndRerunsKeepTheirUIDs() throws {
        let source = try DICOMFile(contentsOf: TestPaths.repository.appendingPathComponent(Self.inputs[0]).path).dataset
        let rerun = try TestPaths.temporaryDirectory("dicom-results-rerun")
        let analyze = try radlens(["analyze", TestPaths.repository.appendingPathComponent(Self.inputs[0]).path, "--model", shippedModel, "--format", "sr,sc", "--output", rerun.path])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        var seen: Set<String> = []
        for suffix in [".sr.dcm", ".sc.dcm"] {
            let first = try DICOMFile(contentsOf: try Self.output().appendingPathComponent("chest-pa-cr.dcm" + suffix).path).dataset
            let second = try DICOMFile(contentsOf: rerun.appendingPathComponent("chest-pa-cr" + suffix).path).dataset
            #expect(first.string(.studyInstanceUID) == source.string(.studyInstanceUID))
            #expect(first.string(.patientID) == source.string(.patientID))
            #expect(first.string(.seriesInstanceUID) != source.string(.seriesInstanceUID))
            for tag in [DICOMTag.sopInstanceUID, .seriesInstanceUID, .studyInstanceUID] {
                #expect(first.string(tag) == second.string(tag), "\(suffix) \(tag) differs between runs")
            }
            seen.insert(try #require(first.string(.sopInstanceUID)))
            seen.insert(try #require(first.string(.seriesInstanceUID)))
        }
        #expect(seen.count == 4, "SR and SC have their own series and instance UIDs")
        for file in TestPaths.files(in: rerun, extensions: ["dcm"]) {
            if let check = try ProcessRunner.dciodvfyErrors(file.path) { #expect(check.errors.isEmpty && check.status == 0, "\(file.lastPathComponent): \(check.errors)") }
        }
        // PNG and JPEG inputs: a new study (the same for SR and SC), no patient.
        let sr = try DICOMFile(contentsOf: try Self.output().appendingPathComponent("child-normal-IM-0061-0001.jpeg.sr.dcm").path).dataset
        let sc = try DICOMFile(contentsOf: try Self.output().appendingPathComponent("child-normal-IM-0061-0001.jpeg.sc.dcm").path).dataset
        #expect(sr.string(.studyInstanceUID)?.hasPrefix("2.25.") == true)
        #expect(sr.string(.studyInstanceUID) == sc.string(.studyInstanceUID))
        #expect(sr.contains(.patientID) && sr.string(.patientID) == nil && sr.string(.patientName) == nil)
    }

    /// The copied patient and study attributes appear in the SR and SC only; identifiers RadLens
    /// does not copy appear nowhere.
    @Test func patientIdentifiersLeaveOnlyInDICOMResults() throws {
        let output = try Self.output()
        let copied = ["PHI^PLANTED", "PHI-ID-12345", "19010101", "PHI-ACC-999", "PHI^REFERRER"]
        let neverCopied = ["PHI-INSTITUTION", "PHI-STATION", "PHI^OPERATOR", "PHI-PRIVATE", "PHI-OTHER-777", "PHI-ADDRESS",
                           "PHI-SERIAL-42", "PHI^NESTED"]
        for name in ["planted.dcm.sr.dcm", "planted.dcm.sc.dcm"] {
            let text = String(decoding: try Data(contentsOf: output.appendingPathComponent(name)), as: UTF8.self)
            for identifier in copied { #expect(text.contains(identifier), "\(name) lacks \(identifier): PACS could not file it") }
            for identifier in neverCopied { #expect(!text.contains(identifier), "\(identifier) leaked into \(name)") }
        }
        let others = TestPaths.filesRecursively(in: output, extensions: ["json", "txt", "html", "jsonl", "csv", "log"])
        #expect(others.count >= 4 * 4)
        for file in others {
            let text = try String(contentsOf: file, encoding: .utf8)
            for identifier in copied + neverCopied { #expect(!text.contains(identifier), "\(identifier) leaked into \(file.lastPathComponent)") }
        }
    }

    /// Our own reader parses the SR and decodes the SC; `radlens inspect` and `analyze` accept them.
    @Test func ourReaderReadsBoth() throws {
        let output = try Self.output()
        let sr = try DICOMFile(contentsOf: output.appendingPathComponent("chest-pa-cr.dcm.sr.dcm").path)
        #expect(sr.dataset.string(.modality) == "SR")
        #expect(sr.dump().contains { $0.keyword == "ContentSequence" })
        // inspect lists the SR's dataset, patient identifiers masked.
        let inspect = try radlens(["inspect", output.appendingPathComponent("planted.dcm.sr.dcm").path])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdoutText.contains("no pixel data (modality SR)") && inspect.stdoutText.contains("# ContentSequence"))
        #expect(inspect.stdoutText.contains("[233604007] # CodeValue"))
        #expect(!inspect.stdoutText.contains("PHI^PLANTED") && !inspect.stdoutText.contains("PHI-ID-12345"))
        let sc = try ImageDecoder().decode(contentsOf: output.appendingPathComponent("chest-pa-cr.dcm.sc.dcm").path)
        #expect(sc.channels == 3 && sc.width > 0)
        let analyze = try radlens(["analyze", output.appendingPathComponent("chest-pa-cr.dcm.sc.dcm").path, "--model", shippedModel, "--format", "json"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
    }

    /// Truncated and byte-flipped SRs: our reader parses or refuses each with an error naming the
    /// file; never a trap.
    @Test func damagedSRsGiveClearErrors() throws {
        let original = try FileReader.read(try Self.output().appendingPathComponent("planted.dcm.sr.dcm").path)
        var refused = 0
        for cut in stride(from: 0, to: original.count, by: 7) {
            do { _ = try DICOMFile(bytes: Array(original[0..<cut]), path: "cut.sr.dcm") } catch {
                #expect(error.path == "cut.sr.dcm" && error.reason.count > 8)
                refused += 1
            }
        }
        var random = SplitMix(state: 1500)
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                bytes[132 + Int(random.next() % UInt64(original.count - 132))] = UInt8(truncatingIfNeeded: random.next())
            }
            do { _ = try DICOMFile(bytes: bytes, path: "flipped.sr.dcm").dump() } catch { #expect(error.path == "flipped.sr.dcm") }
        }
        #expect(refused > original.count / 7 / 2, "most truncations are refused (\(refused))")
        let truncated = try TestPaths.temporaryDirectory("damaged-sr").appendingPathComponent("truncated.sr.dcm")
        try Data(original[0..<(original.count / 2)]).write(to: truncated)
        let inspect = try radlens(["inspect", truncated.path])
        #expect(inspect.status == 1 && inspect.stderr.hasPrefix("radlens: \(truncated.path): "), "\(inspect.stderr)")
    }

    @Test func dicomFormatsNeedAnOutputFolder() throws {
        let run = try radlens(["analyze", TestPaths.repository.appendingPathComponent(Self.inputs[0]).path, "--model", shippedModel, "--format", "sr"])
        #expect(run.status == 64 && run.stderr.contains("--format sr writes a DICOM file: give --output FOLDER"), "\(run.stderr)")
    }
}
