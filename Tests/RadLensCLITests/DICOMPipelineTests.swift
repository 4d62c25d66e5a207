import Foundation
import RadLensTestSupport
import Testing

/// DICOM through the whole pipeline: the same findings as the image it wraps, and no patient
/// identifiers in any output.
@Suite struct DICOMPipelineTests {
    static let planted = TestPaths.fixture("dicom/phi/planted.dcm").path

    @Test func dicomWrappedChestGivesTheSameFindingsAsItsJPEG() throws {
        func finding(_ name: String) throws -> (decision: String, flags: [String], probability: Double) {
            let path = TestPaths.repository.appendingPathComponent("SampleImages/\(name)").path
            let json = try JSON(try radlens(["analyze", path, "--model", shippedModel, "--format", "json"]).stdout)
            let finding = json["findings"][0]
            return (try finding["decision"].string(), try json["quality"]["flags"].strings(), try finding["probability"].double())
        }
        let jpeg = try finding("chest-pa-cr.jpeg"), dicom = try finding("chest-pa-cr.dcm")
        #expect(jpeg.decision == dicom.decision)
        #expect(jpeg.flags == dicom.flags)
        // The JPEG path decodes at a reduced DCT scale, the DICOM path at full size: close, not equal.
        #expect(abs(jpeg.probability - dicom.probability) < 0.02)
    }

    /// The same CR image stored uncompressed, as JPEG 2000 lossless and as JPEG lossless SV1 (the
    /// way PACS archive it) gives the same probability to the last digit.
    @Test func losslessEncodingsOfOneImageGiveOneAnswer() throws {
        let probabilities = try ["RG1_UNCR.dcm", "RG1_J2KR.dcm", "RG1_jpeg_lossless_sv1.dcm"].map { name in
            let path = TestPaths.fixture("dicom/files/\(name)").path
            let result = try radlens(["analyze", path, "--model", shippedModel, "--format", "json"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            return try JSON(result.stdout)["findings"][0]["probability"].double()
        }
        #expect(Set(probabilities).count == 1, "\(probabilities)")
    }

    @Test func plantedIdentifiersAppearInNoOutput() throws {
        let identifiers = ["PHI^PLANTED", "PHI-ID-12345", "19010101", "PHI-ADDRESS", "PHI-OTHER-777", "PHI-ACC-999",
                           "PHI-INSTITUTION", "PHI^REFERRER", "PHI^OPERATOR", "PHI-STATION", "PHI-SERIAL-42", "PHI^NESTED", "PHI-PRIVATE"]
        let output = try TestPaths.temporaryDirectory("phi")
        let analyze = try radlens(["analyze", Self.planted, "--model", shippedModel, "--format", "text,json,fhir,html", "--output", output.path])
        let batchInput = try TestPaths.temporaryDirectory("phi-input")
        try FileManager.default.copyItem(atPath: Self.planted, toPath: batchInput.appendingPathComponent("IM00001").path)
        let batch = try radlens(["batch", batchInput.path, "--output", output.appendingPathComponent("batch").path, "--model", shippedModel,
                                 "--format", "json,text,fhir,html", "--log-format", "json"])
        let inspectText = try radlens(["inspect", Self.planted])
        let inspectJSON = try radlens(["inspect", Self.planted, "--format", "json"])
        var texts = [analyze.stdoutText, analyze.stderr, batch.stdoutText, batch.stderr, inspectText.stdoutText, inspectJSON.stdoutText]
        for file in FileManager.default.enumerator(atPath: output.path)!.compactMap({ $0 as? String }) {
            if let text = try? String(contentsOf: output.appendingPathComponent(file), encoding: .utf8) { texts.append(text) }
        }
        #expect(texts.count >= 12, "every format was written: \(texts.count)")
        for identifier in identifiers {
            #expect(!texts.contains { $0.contains(identifier) }, "\(identifier) leaked into an output")
        }
        // With --include-phi, inspect shows them: the test would notice if nothing was planted.
        let revealed = try radlens(["inspect", Self.planted, "--include-phi"]).stdoutText
        #expect(revealed.contains("PHI^PLANTED") && revealed.contains("PHI-ID-12345"))
    }
}
