import Foundation
import RadLensTestSupport
import Testing

/// `make install` and `make deb` as a new user meets them: the installed binary runs from any
/// directory, finds its bundle beside itself, and needs no Swift runtime library.
@Suite(.serialized) struct InstallTests {
    static let release = TestPaths.repository.appendingPathComponent(".build/release/radlens")
    static let hasRelease = FileManager.default.isExecutableFile(atPath: release.path)
    static let sample = TestPaths.repository.appendingPathComponent("SampleImages/child-normal-IM-0061-0001.jpeg")

    /// Installs with DESTDIR into a temporary root; returns DESTDIR + PREFIX.
    static func install() throws -> URL {
        let destdir = try TestPaths.temporaryDirectory("install")
        let result = try ProcessRunner.run(TestPaths.repository.appendingPathComponent("Tools/install.sh").path, [destdir.path, "/usr/local"])
        try #require(result.status == 0, "install failed: \(result.stderr)")
        return destdir.appendingPathComponent("usr/local")
    }

    /// A directory far from the repository with one radiograph in it.
    static func elsewhere() throws -> URL {
        let folder = try TestPaths.temporaryDirectory("elsewhere")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("scans"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample, to: folder.appendingPathComponent("scans/x.jpeg"))
        try FileManager.default.copyItem(at: TestPaths.fixture("malformed/empty.png"), to: folder.appendingPathComponent("scans/broken.png"))
        return folder
    }

    /// Runs the installed binary in `directory`, with no RADLENS_MODEL to help it.
    static func run(_ binary: URL, _ arguments: [String], in directory: URL) throws -> ProcessOutput {
        try ProcessRunner.run(binary.path, arguments, environment: ["RADLENS_MODEL": ""], currentDirectory: directory)
    }

    @Test(.enabled(if: hasRelease, "the release build is absent: `make test` builds it"))
    func installedBinaryRunsFromAnotherDirectory() throws {
        let prefix = try Self.install()
        let binary = prefix.appendingPathComponent("bin/radlens")
        let bundle = prefix.appendingPathComponent("share/radlens/models/cxr-pneumonia").path
        let home = try Self.elsewhere()

        let doctor = try Self.run(binary, ["doctor"], in: home)
        #expect(doctor.status == 0, "\(doctor.stderr)")
        #expect(doctor.stdoutText.contains("default model bundle: \(bundle)"), "\(doctor.stdoutText)")
        // CharLS is not linked but loaded on first use: the installed binary finds it.
        #expect(doctor.stdoutText.contains("JPEG-LS DICOM (CharLS, loaded on first use): available"), "\(doctor.stdoutText)")
        #expect(doctor.stdoutText.contains("found: \(bundle) (installed beside the executable)"))

        let analyze = try Self.run(binary, ["analyze", "scans/x.jpeg"], in: home)
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(analyze.stdoutText.contains("No radiographic evidence of pneumonia."))
        #expect(analyze.stdoutText.contains("Research use only, not for diagnostic use."))

        let batch = try Self.run(binary, ["batch", "scans", "--output", "results", "--quiet"], in: home)
        #expect(batch.status == 1, "one input is broken: \(batch.stderr)")
        let results = try String(contentsOf: home.appendingPathComponent("results/results.jsonl"), encoding: .utf8)
        #expect(results.split(separator: "\n").count == 2)
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("results/index.html").path))

        // The Swift runtime and Foundation are linked in: only system C libraries remain.
        let ldd = try ProcessRunner.run("ldd", [binary.path]).stdoutText
        #expect(!ldd.contains("libswift") && !ldd.contains("Foundation") && !ldd.contains("libdispatch") && !ldd.contains("not found"), "\(ldd)")
        for library in ["libpng16", "libturbojpeg", "libopenjp2", "libz"] { #expect(ldd.contains(library), "\(library) is linked") }
        // libcurl is loaded when DICOMweb first needs it (it and its two dozen libraries cost every command ~8 ms at start),
        // CharLS when a JPEG-LS frame does (its static initialisers cost every command 0.5 ms).
        #expect(!ldd.contains("libcurl") && !ldd.contains("libcharls"), "\(ldd)")
        let licences = try FileManager.default.contentsOfDirectory(atPath: prefix.appendingPathComponent("share/doc/radlens/licenses").path)
        #expect(licences.contains("swift-runtime.txt") && licences.contains("training-data-kermany-CC-BY-4.0.txt"))
    }

    @Test(.enabled(if: hasRelease, "the release build is absent: `make test` builds it"), .needsTool("dpkg-shlibdeps"))
    func debianPackageDeclaresItsLibrariesAndRuns() throws {
        let build = try ProcessRunner.run(TestPaths.repository.appendingPathComponent("Tools/make_deb.sh").path, [])
        try #require(build.status == 0, "make_deb failed: \(build.stderr)")
        let deb = try #require(build.stdoutText.split(separator: "\n").first.map(String.init))
        let depends = try ProcessRunner.run("dpkg-deb", ["-f", deb, "Depends"]).stdoutText
        for package in ["libpng16-16", "libturbojpeg0", "libopenjp2-7", "libcharls2", "libcurl4", "zlib1g", "libc6"] {
            #expect(depends.contains(package), "Depends names \(package): \(depends)")
        }
        #expect(!depends.contains("swift"))
        // A binary with packed relative relocations (DT_RELR) runs only on glibc 2.36 and later.
        let versions = try ProcessRunner.run("readelf", ["-V", Self.release.path]).stdoutText
        if versions.contains("GLIBC_ABI_DT_RELR") { #expect(depends.contains("libc6 (>= 2.36)"), "\(depends)") }
        let root = try TestPaths.temporaryDirectory("deb-root")
        #expect(try ProcessRunner.run("dpkg-deb", ["-x", deb, root.path]).status == 0)
        let binary = root.appendingPathComponent("usr/bin/radlens")
        let analyze = try Self.run(binary, ["analyze", "scans/x.jpeg", "--format", "json"], in: try Self.elsewhere())
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(try JSON(analyze.stdout)["findings"][0]["decision"].string() == "negative")
    }
}
