import Foundation
import RadLensTestSupport
import Testing

/// `radlens inspect`, run as a user runs it: the built binary, its output and exit status.
@Suite struct InspectCommandTests {
    func radlens(_ arguments: String...) throws -> ProcessOutput {
        try ProcessRunner.run(TestPaths.radlens.path, arguments)
    }

    @Test func jsonDescribesA16BitPNG() throws {
        let file = TestPaths.fixture("valid/gray16-sbit12.png").path
        let result = try radlens("inspect", file, "--format", "json")
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(json["format"] as? String == "png")
        #expect(json["width"] as? Int == 64 && json["height"] as? Int == 48)
        #expect(json["bitDepth"] as? Int == 16 && json["significantBits"] as? Int == 12)
        #expect((json["max"] as? Int ?? 0) <= 4095)
        #expect(json["path"] as? String == file)
    }

    @Test func textNamesEveryFileAndBadFilesFailTheRun() throws {
        let good = TestPaths.fixture("valid/rgb-420-baseline.jpeg").path
        let bad = TestPaths.fixture("malformed/text-renamed.png").path
        let result = try radlens("inspect", good, bad)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("\(good): jpeg 203x157 RGB"))
        #expect(result.stderr.contains(bad) && result.stderr.contains("not a PNG or JPEG"))
    }

    @Test func jsonReportsErrorsPerFile() throws {
        let result = try radlens("inspect", TestPaths.fixture("malformed/empty.jpeg").path,
                                 TestPaths.fixture("valid/gray8.png").path, "--format", "json")
        #expect(result.status == 1)
        let list = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
        #expect(list.count == 2)
        #expect((list[0]["error"] as? [String: Any])?["kind"] as? String == "empty")
        #expect(list[1]["width"] as? Int == 37)
    }

    @Test func versionAndHelpTeach() throws {
        let version = try radlens("--version")
        #expect(version.status == 0 && version.stdoutText.hasPrefix("radlens "))
        let help = try radlens("inspect", "--help")
        #expect(help.stdoutText.contains("Examples:"))
        #expect(help.stdoutText.contains("--max-megapixels"))
    }
}
