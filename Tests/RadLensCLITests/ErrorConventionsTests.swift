import Foundation
import RadLensTestSupport
import Testing

/// Errors follow Unix conventions: always a message on standard error, usage text only when the
/// command line itself is wrong, and the documented exit statuses.
@Suite struct ErrorConventionsTests {
    @Test func runtimeErrorsAreOneLineWithoutUsage() throws {
        let chest = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path
        let result = try radlens(["analyze", chest, "--model", "/nonexistent-bundle"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("radlens: /nonexistent-bundle"), "\(result.stderr)")
        #expect(!result.stderr.contains("Usage:") && !result.stderr.contains("--help"), "no usage after a runtime error: \(result.stderr)")
    }

    @Test func aModelNamedInTheEnvironmentIsNeverReplacedSilently() throws {
        let chest = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path
        let result = try radlens(["analyze", chest], environment: ["RADLENS_MODEL": "/nonexistent-bundle"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("RADLENS_MODEL=/nonexistent-bundle holds no model bundle"), "\(result.stderr)")
    }

    /// A model file changed after its manifest was written still loads (one weight differs), so
    /// only the sha256, checked while the engine is built, stands between it and a report that
    /// names the wrong model. Packed weights cached from the genuine file change nothing.
    @Test func aModelThatIsNotTheManifestsIsRefused() throws {
        let bundle = try TestPaths.temporaryDirectory("tampered-bundle")
        for name in try FileManager.default.contentsOfDirectory(atPath: shippedModel) {
            try FileManager.default.copyItem(atPath: "\(shippedModel)/\(name)", toPath: bundle.appendingPathComponent(name).path)
        }
        let chest = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path
        let cache = ["RADLENS_CACHE_DIR": try TestPaths.temporaryDirectory("tampered-cache").path]
        #expect(try radlens(["analyze", chest, "--model", bundle.path, "--format", "json"], environment: cache).status == 0)
        let model = bundle.appendingPathComponent("model.onnx")
        var bytes = try [UInt8](Data(contentsOf: model))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: model)
        let result = try radlens(["analyze", chest, "--model", bundle.path, "--format", "json"], environment: cache)
        #expect(result.status == 2 && result.stdout.isEmpty, "\(result.stderr)")
        #expect(result.stderr.contains("model.onnx: sha256") && result.stderr.contains("does not match the manifest's"), "\(result.stderr)")
        // Nor does a refused model leave its weights in the cache under the manifest's name.
        let fresh = try TestPaths.temporaryDirectory("tampered-fresh-cache")
        #expect(try radlens(["analyze", chest, "--model", bundle.path], environment: ["RADLENS_CACHE_DIR": fresh.path]).status == 2)
        let written = FileManager.default.enumerator(atPath: fresh.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".packed") } ?? []
        #expect(written.isEmpty, "\(written)")
    }

    /// Templates are parsed on the hashing core while the engine is built: a broken one is
    /// still refused before any report, naming the file.
    @Test func aBrokenTemplateIsRefusedNamingTheFile() throws {
        let template = try TestPaths.temporaryDirectory("broken-template").appendingPathComponent("mine.mustache")
        try Data("{{#findings}}{{display}}\n".utf8).write(to: template)  // The section is never closed.
        let chest = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path
        let result = try radlens(["analyze", chest, "--model", shippedModel, "--template", template.path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("radlens: \(template.path): invalid Mustache template"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "no report after a template error")
    }

    @Test func optionValuesJudgedWhileRunningAreCommandLineErrors() throws {
        let chest = TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path
        let result = try radlens(["analyze", chest, "--model", shippedModel, "--format", "pdf"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown format") && result.stderr.contains("radlens analyze --help"))
    }

    @Test func commandLineErrorsShowTheUsage() throws {
        let result = try radlens(["analyze", "--format"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Usage: radlens analyze"))
    }

    /// `analyze` is parsed on its own when its command line is clean (a faster start); help,
    /// completion requests and mistakes still get the whole tool's answers.
    @Test func analyzeAnswersHelpAndMistakesAsTheWholeToolDoes() throws {
        let help = try radlens(["analyze", "--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("USAGE: radlens analyze <files>"))
        let unknown = try radlens(["analyze", "--no-such-option", "x.jpeg"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Unknown option '--no-such-option'") && unknown.stderr.contains("Usage: radlens analyze"))
        let completion = try radlens(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.stdoutText.contains("analyze"))
    }

    @Test func jsonModeStillWritesErrorsToStandardError() throws {
        let corrupt = TestPaths.fixture("malformed/jpeg-truncated-at-300.jpeg").path
        let result = try radlens(["inspect", corrupt, "--format", "json"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(corrupt), "the error names the file on stderr: \(result.stderr)")
        #expect(try JSON(result.stdout)["error"]["message"].string().contains(corrupt), "and in the JSON")
    }

    @Test func cmykJPEGIsAnalysedAsGray() throws {
        let cmyk = TestPaths.fixture("cmyk/ycck-420.jpeg").path
        let result = try radlens(["analyze", cmyk, "--model", shippedModel, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSON(result.stdout)
        #expect(try json["status"].string() == "ok")
        #expect(try json["findings"].array().count == 1)
    }
}
