import Foundation
import RadLensTestSupport
import Testing

/// The normal / bacterial / viral bundle (Models/cxr-subtype) through the full Swift pipeline on
/// the Kermany test set (skipped when the data is absent): `radlens evaluate` reproduces the
/// figures `Training/subtype_bundle.py` recorded in its manifest (Python: torch on the same
/// preprocessing contract), and its text report names the favoured cause.
@Suite struct SubtypeModelTests {
    static let bundle = TestPaths.repository.appendingPathComponent("Models/cxr-subtype").path

    @Test(.needsKermany, .enabled(if: FileManager.default.fileExists(atPath: bundle + "/manifest.json"), "Models/cxr-subtype is absent"))
    func evaluateReproducesTheRecordedFigures() throws {
        let data = try #require(TestPaths.kermany)
        let run = try radlens(["evaluate", data.appendingPathComponent("224/test").path, "--model", Self.bundle, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let swift = try JSON(run.stdout)
        let recorded = try JSON(contentsOf: URL(fileURLWithPath: Self.bundle + "/manifest.json"))["metrics"]["test"]
        #expect(try swift["n"].int() == 624)
        for key in ["auroc", "accuracy", "sensitivity", "specificity"] {
            let ours = try swift[key].double(), python = try recorded["pneumonia_vs_normal"][key].double()
            #expect(abs(ours - python) < 2e-3, "pneumonia vs normal \(key): Swift \(ours), Python \(python)")
        }
        let within = swift["classes"]["withinGroups"][0]
        #expect(try within["name"].string() == "bacterial vs viral" && within["n"].int() == 390)
        let python = try recorded["bacterial_vs_viral"]["auroc"].double(), ours = try within["auroc"].double()
        #expect(abs(ours - python) < 2e-3, "bacterial vs viral AUROC: Swift \(ours), Python \(python)")
        #expect(try swift["classes"]["classes"].array().map { try $0["label"].string() } == ["normal", "bacterial", "viral"])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: bundle + "/manifest.json"), "Models/cxr-subtype is absent"))
    func theReportNamesTheFavouredCause() throws {
        let image = TestPaths.repository.appendingPathComponent("SampleImages/child-pneumonia-person38_virus_84.jpeg").path
        let text = try radlens(["analyze", image, "--model", Self.bundle]).stdoutText
        #expect(text.contains("Findings suspicious for pneumonia.") && text.contains("Pattern favours viral pneumonia (p = "), "\(text)")
    }
}
