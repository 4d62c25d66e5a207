import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// `radlens batch URL --push` against a real Orthanc with its DICOMweb plugin (Debian's orthanc
/// and orthanc-dicomweb), started by the test on 127.0.0.1 with authentication on and its state
/// in a temporary folder (Tools/orthanc/orthanc.sh), stopped by its pid. The samples are loaded
/// with curl over STOW-RS, independently of RadLens.
@Suite(.serialized) struct DICOMwebTests {
    static let script = TestPaths.repository.appendingPathComponent("Tools/orthanc/orthanc.sh").path
    /// Four studies: an SC-wrapped chest film, the planted-PHI CR, a CR chest PA and a CT slice.
    static let samples = ["SampleImages/chest-pa-cr.dcm", "Tests/Fixtures/dicom/phi/planted.dcm",
                          "Tests/Fixtures/dicom/files/RG1_UNCR.dcm", "Tests/Fixtures/dicom/files/CT_small.dcm"]

    /// A running Orthanc.
    struct Server {
        let folder: URL
        let url: String
        let password: String
        var credentials: [String: String] { ["RADLENS_DICOMWEB_USER": "radlens", "RADLENS_DICOMWEB_PASSWORD": password, "RADLENS_MODEL": ""] }

        /// The CA a client must trust, for a server started with TLS.
        var caFile: String? {
            let path = folder.appendingPathComponent("ca.pem").path
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        var curlTrust: [String] { caFile.map { ["--cacert", $0] } ?? [] }

        static func start(_ folder: URL, tls: Bool = false) throws -> Server {
            let started = try ProcessRunner.run(DICOMwebTests.script, ["start", folder.path], environment: tls ? ["ORTHANC_TLS": "1"] : nil)
            if started.status != 0 { _ = try? ProcessRunner.run(DICOMwebTests.script, ["stop", folder.path]) }  // leave nothing running
            try #require(started.status == 0, "Orthanc did not start: \(started.stderr)")
            let password = try String(contentsOf: folder.appendingPathComponent("password"), encoding: .utf8)
            return Server(folder: folder, url: started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), password: password)
        }

        func stop() { _ = try? ProcessRunner.run(DICOMwebTests.script, ["stop", folder.path]) }
        func kill() throws { _ = try ProcessRunner.run(DICOMwebTests.script, ["kill", folder.path]) }

        /// A GET of Orthanc's (or DICOMweb's) JSON, by curl.
        func json(_ path: String) throws -> JSON {
            let base = url.replacingOccurrences(of: "/dicom-web", with: "")
            let result = try ProcessRunner.run("curl", ["-fsS"] + curlTrust + ["-u", "radlens:\(password)", base + path])
            try #require(result.status == 0, "curl \(path): \(result.stderr)")
            return result.stdout.isEmpty ? try JSON(Data("[]".utf8)) : try JSON(result.stdout)
        }

        /// Loads DICOM files with one STOW-RS request, by curl.
        func store(_ files: [String]) throws {
            let boundary = "radlens-test-boundary"
            var body = Data()
            for file in files {
                body += Data("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8)
                body += try Data(contentsOf: TestPaths.repository.appendingPathComponent(file))
                body += Data("\r\n".utf8)
            }
            body += Data("--\(boundary)--\r\n".utf8)
            let request = try TestPaths.temporaryDirectory("stow").appendingPathComponent("body")
            try body.write(to: request)
            let result = try ProcessRunner.run("curl", ["-fsS"] + curlTrust + ["-u", "radlens:\(password)", "-X", "POST",
                                                        "-H", "Content-Type: multipart/related; type=\"application/dicom\"; boundary=\(boundary)",
                                                        "--data-binary", "@\(request.path)", url + "/studies"])
            try #require(result.status == 0, "STOW-RS of the samples: \(result.stderr)")
        }

        /// SOP Instance UIDs of the SR instances of `study`, by QIDO-RS.
        func structuredReports(in study: String) throws -> [String] {
            try json("/dicom-web/studies/\(study)/instances").array()
                .filter { (try? $0["00080016"]["Value"][0].string()) == "1.2.840.10008.5.1.4.1.1.88.34" }
                .map { try $0["00080018"]["Value"][0].string() }
        }

        var instanceCount: Int { get throws { try json("/instances").array().count } }
    }

    static var available: Bool {
        FileManager.default.fileExists(atPath: "/usr/share/orthanc/plugins/libOrthancDicomWeb.so") && ProcessRunner.available("Orthanc")
            && ProcessRunner.available("curl")
    }

    static func studies() throws -> [String] {
        try samples.map { try #require(try DICOMFile(contentsOf: TestPaths.repository.appendingPathComponent($0).path).dataset.string(.studyInstanceUID)) }
    }

    /// The SR a batch wrote for each source study, by our reader: (study, SR SOP Instance UID).
    static func writtenReports(_ output: URL) throws -> [(String, String)] {
        try TestPaths.filesRecursively(in: output, extensions: ["dcm"]).filter { $0.lastPathComponent.hasSuffix(".sr.dcm") }.map {
            let sr = try DICOMFile(contentsOf: $0.path).dataset
            return (try #require(sr.string(.studyInstanceUID)), try #require(sr.string(.sopInstanceUID)))
        }
    }

    @Test(.enabled(if: available, "orthanc, orthanc-dicomweb or curl is not installed; `make test` installs them"))
    func batchPushesOneSRPerStudyOnceAndRefusesAWrongPassword() throws {
        let server = try Server.start(try TestPaths.temporaryDirectory("orthanc"))
        defer { server.stop() }
        try server.store(Self.samples)
        let before = try server.instanceCount
        #expect(before == Self.samples.count)

        // A full run: every source study now holds its SR, the one RadLens wrote.
        let output = try TestPaths.temporaryDirectory("dicomweb-out")
        let run = try radlens(["batch", server.url, "--output", output.path, "--model", shippedModel, "--push", "--log-format", "json"],
                              environment: server.credentials)
        #expect(run.status == 0, "\(run.stderr)")
        let written = try Self.writtenReports(output)
        #expect(Set(written.map(\.0)) == Set(try Self.studies()))
        for (study, sr) in written {
            #expect(try server.structuredReports(in: study) == [sr], "study \(study) holds its SR")
        }
        #expect(try server.instanceCount == before + Self.samples.count)
        for file in TestPaths.filesRecursively(in: output, extensions: ["dcm"]) where file.lastPathComponent.hasSuffix(".sr.dcm") {
            if let check = try ProcessRunner.dciodvfyErrors(file.path) { #expect(check.errors.isEmpty && check.status == 0, "\(file.lastPathComponent): \(check.errors)") }
        }
        #expect(!run.stderr.contains(server.password) && !run.stderr.contains("PHI^PLANTED"), "no secret or identifier in the log")

        // A rerun retrieves nothing new, pushes nothing and adds no instance.
        let rerun = try radlens(["batch", server.url, "--output", output.path, "--model", shippedModel, "--push", "--log-format", "json"],
                                environment: server.credentials)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("\"pushed\":\"0\"") && rerun.stderr.contains("\"retrieved\":\"0\""), "\(rerun.stderr)")
        #expect(try server.instanceCount == before + Self.samples.count)

        // A wrong password: a clear error, exit 2, nothing retrieved, the password not echoed.
        var wrong = server.credentials
        wrong["RADLENS_DICOMWEB_PASSWORD"] = "not-the-password"
        let refused = try radlens(["batch", server.url, "--output", try TestPaths.temporaryDirectory("dicomweb-refused").path,
                                   "--model", shippedModel, "--push"], environment: wrong)
        #expect(refused.status == 2 && refused.stderr.contains("refused the credentials (HTTP 401)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("not-the-password"))
    }

    @Test(.enabled(if: available, "orthanc, orthanc-dicomweb or curl is not installed; `make test` installs them"))
    func aServerKilledMidRunLeavesACleanErrorAndARerunCompletes() throws {
        var server = try Server.start(try TestPaths.temporaryDirectory("orthanc-killed"))
        defer { server.stop() }
        try server.store(Self.samples)
        let output = try TestPaths.temporaryDirectory("dicomweb-killed")
        let arguments = ["batch", server.url, "--output", output.path, "--model", shippedModel, "--push", "--format", "json,sc", "--jobs", "1"]
        let first = LockedResult()
        let credentials = server.credentials
        let worker = Thread { first.set(Result { try radlens(arguments, environment: credentials) }) }
        worker.start()
        // Kill Orthanc once the first result is on disk: after retrieval, before the push.
        let deadline = Date().addingTimeInterval(120)
        while first.value == nil && Date() < deadline {
            if !TestPaths.filesRecursively(in: output, extensions: ["json"]).filter({ $0.lastPathComponent.hasSuffix(".dcm.json") }).isEmpty { break }
            usleep(10_000)
        }
        try server.kill()
        while first.value == nil && Date() < deadline { usleep(50_000) }
        let stopped = try #require(first.value).get()
        #expect(stopped.status == 2, "the run stops with an error when its server dies: \(stopped.stderr)")
        #expect(stopped.stderr.contains("run the same command again"), "\(stopped.stderr)")
        #expect(try Self.writtenReports(output).count == Self.samples.count, "the results made stay on disk")

        // The same server comes back (same port and storage): the rerun pushes what is missing.
        server = try Server.start(server.folder)
        let rerun = try radlens(arguments, environment: server.credentials)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        for (study, sr) in try Self.writtenReports(output) {
            #expect(try server.structuredReports(in: study) == [sr], "study \(study) holds its SR after the rerun")
        }
        #expect(try server.instanceCount == Self.samples.count * 3, "each source, its SR and its SC, once")
    }
}

extension DICOMwebTests {
    /// Behind TLS (a hospital CA), with credentials from a netrc file, in two shards: the
    /// system's CAs are not enough, --ca-file is; the shards split the instances between them.
    @Test(.enabled(if: available && ProcessRunner.available("socat") && ProcessRunner.available("openssl"),
                   "orthanc, orthanc-dicomweb, curl, socat or openssl is not installed; `make test` installs them"))
    func tlsWithAHospitalCANetrcAndShards() throws {
        let server = try Server.start(try TestPaths.temporaryDirectory("orthanc-tls"), tls: true)
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://"))
        try server.store(Self.samples)
        let netrc = try TestPaths.temporaryDirectory("netrc").appendingPathComponent("netrc")
        try "machine 127.0.0.1 login radlens password \(server.password)\n".write(to: netrc, atomically: true, encoding: .utf8)
        let noCredentials = ["RADLENS_DICOMWEB_USER": "", "RADLENS_DICOMWEB_PASSWORD": "", "RADLENS_DICOMWEB_TOKEN": "", "RADLENS_MODEL": ""]
        let untrusted = try radlens(["batch", server.url, "--output", try TestPaths.temporaryDirectory("tls-untrusted").path,
                                     "--model", shippedModel, "--netrc", netrc.path], environment: noCredentials)
        #expect(untrusted.status == 2 && untrusted.stderr.contains("SSL certificate problem"), "\(untrusted.stderr)")
        var shards: [Set<String>] = []
        for index in 0..<2 {
            let output = try TestPaths.temporaryDirectory("tls-shard")
            let run = try radlens(["batch", server.url, "--output", output.path, "--model", shippedModel, "--netrc", netrc.path,
                                   "--ca-file", try #require(server.caFile), "--shard", "\(index)/2", "--push"], environment: noCredentials)
            #expect(run.status == 0, "\(run.stderr)")
            shards.append(Set(try Self.writtenReports(output).map(\.0)))
        }
        let studies = Set(try Self.studies())
        #expect(shards[0].isDisjoint(with: shards[1]) && shards[0].union(shards[1]) == studies, "\(shards)")
        for study in try Self.studies() { #expect(try server.structuredReports(in: study).count == 1) }
    }
}

private final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<ProcessOutput, any Error>?
    func set(_ value: Result<ProcessOutput, any Error>) { lock.withLock { stored = value } }
    var value: Result<ProcessOutput, any Error>? { lock.withLock { stored } }
}
