import Foundation
import RadLensTestSupport
import Testing

/// Generic heads through the whole pipeline (`radlens analyze`) against an independent Python
/// implementation of the manifest's semantics (Tests/Python/manifest_reference.py: Pillow and
/// numpy preprocessing, ONNX Runtime, the head in numpy) on the fixture bundles of
/// Tests/Fixtures/models/heads: a 3-channel multilabel CNN (0-255 scale, per-channel mean/std,
/// keep-aspect) and a gray multiclass CNN (TorchXRayVision scale) with a group finding. Each
/// finding's class activation map must point to the same zone and side as the reference's.
@Suite struct ModelHeadParityTests {
    static let bundles = ["multilabel-rgb", "multiclass-gray"]
    /// Gray and RGB, 8 and 16 bits, JPEG and PNG, portrait and landscape. (Not a PNG with an sBIT
    /// chunk: RadLens scales by its significant bits, the Python contract by the container's.)
    static let images = ["SampleImages/child-normal-IM-0061-0001.jpeg", "SampleImages/child-pneumonia-person38_virus_84.jpeg",
                         "SampleImages/chest-pa-cr.png", "Tests/Fixtures/valid/rgb8.png", "Tests/Fixtures/valid/gray16.png",
                         "Tests/Fixtures/valid/gray-alpha16.png", "Tests/Fixtures/valid/palette8-interlaced.png", "SampleImages/photo-face.jpeg"]

    @Test(.needsPython, arguments: bundles)
    func pipelineEqualsThePythonReference(_ name: String) throws {
        let python = try #require(TestPaths.python)
        let bundle = TestPaths.fixture("models/heads/\(name)").path
        let paths = Self.images.map { TestPaths.repository.appendingPathComponent($0).path }
        let reference = try ProcessRunner.run(python, [TestPaths.repository.appendingPathComponent("Tests/Python/manifest_reference.py").path, bundle] + paths)
        try #require(reference.status == 0, "\(reference.stderr)")
        let expected = try JSON(reference.stdout).array()
        var largest = 0.0
        var attentions: Set<String> = []
        for (path, want) in zip(paths, expected) {
            let run = try radlens(["analyze", path, "--model", bundle, "--format", "json"])
            try #require(run.status == 0, "\(path): \(run.stderr)")
            let got = try JSON(run.stdout)["findings"].array()
            let wanted = try want.array()
            #expect(got.count == wanted.count, "\(name) \(path)")
            for (finding, reference) in zip(got, wanted) {
                let label = try finding["label"].string(), where_ = "\(name) \((path as NSString).lastPathComponent) \(label)"
                #expect(try label == reference["label"].string())
                #expect(try finding["decision"].string() == reference["decision"].string(), "\(where_)")
                let difference = abs(try finding["probability"].double() - reference["probability"].double())
                largest = max(largest, difference)
                #expect(difference <= 2e-3, "\(where_): |Δp| \(difference)")
                // Each finding's own class activation map points where the reference's does.
                let attention = finding["attention"], wantedAttention = reference["attention"]
                #expect(try attention["zone"].string() == wantedAttention["zone"].string() && attention["side"].string() == wantedAttention["side"].string(),
                        "\(where_): attention \(attention) vs \(wantedAttention)")
                attentions.insert(try "\(attention["zone"].string()) \(attention["side"].string())")
            }
            // Top-1 among the labels (groups aside) is the same.
            func top(_ findings: [JSON], groups: Int) throws -> String? {
                try findings.dropFirst(groups).max { try $0["probability"].double() < $1["probability"].double() }?["label"].string()
            }
            #expect(try top(got, groups: 1) == top(wanted, groups: 1))
        }
        #expect(attentions.count > 1, "the findings' maps differ")
        print("\(name): largest |Δp| against the Python reference \(largest) over \(paths.count) images")
    }

    @Test func aHeadThatDoesNotFitItsLabelsIsRefusedClearly() throws {
        let folder = try TestPaths.temporaryDirectory("bad-head")
        let source = TestPaths.fixture("models/heads/multiclass-gray")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.onnx"), to: folder.appendingPathComponent("model.onnx"))
        let text = try String(contentsOf: source.appendingPathComponent("manifest.json"), encoding: .utf8)
        // A group naming a class the model does not have.
        let manifest = text.replacingOccurrences(of: "\"bacterial\",\n          \"viral\"", with: "\"fungal\",\n          \"viral\"")
        try #require(manifest != text)
        try manifest.write(to: folder.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let run = try radlens(["analyze", TestPaths.repository.appendingPathComponent(Self.images[0]).path, "--model", folder.path])
        #expect(run.status == 2 && run.stderr.contains("group \"pneumonia\": members must be labels of the manifest"), "\(run.stderr)")
    }
}
