import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// JPEG decoding equals libjpeg-turbo's own `djpeg` bit for bit, at every DCT scale.
@Suite struct JPEGDecodeTests {
    static let fixtures = TestPaths.files(in: TestPaths.fixture("valid"), extensions: ["jpeg"])

    /// Decodes with RadLens and with `djpeg` at the same scale; true when every sample is equal.
    static func matches(_ file: URL, scale: JPEGScale, decoder: ImageDecoder) throws -> Bool {
        decoder.options.jpegScale = scale
        let image = try decoder.decode(contentsOf: file.path)
        let output = try ProcessRunner.run("djpeg", ["-scale", "1/\(scale.rawValue)", "-pnm", file.path])
        let reference = try NetpbmImage(output.stdout)
        guard image.width == reference.width, image.height == reference.height, image.channels == reference.depth else {
            return false
        }
        guard case .uint8(let samples) = image.pixels else { return false }
        return reference.equals(samples)
    }

    @Test(arguments: fixtures, JPEGScale.allCases)
    func matchesDjpeg(_ file: URL, scale: JPEGScale) throws {
        try #require(ProcessRunner.available("djpeg"), "djpeg (Debian libjpeg-turbo-progs) is needed; `make test` installs it")
        #expect(try Self.matches(file, scale: scale, decoder: ImageDecoder()))
    }

    @Test(.needsKermany) func realRadiographsMatchDjpeg() throws {
        try #require(ProcessRunner.available("djpeg"))
        let data = try #require(TestPaths.kermany)
        let files = TestPaths.filesRecursively(in: data.appendingPathComponent("fullres-sample"), extensions: ["jpeg", "jpg"])
        #expect(files.count >= 200, "expected the 211 full-resolution radiographs")
        let decoder = ImageDecoder()
        var differing: [String] = []
        for (index, file) in files.enumerated() {
            // Every file at full size, and each at one reduced scale too.
            let reduced = [JPEGScale.half, .quarter, .eighth][index % 3]
            for scale in [JPEGScale.full, reduced] where try !Self.matches(file, scale: scale, decoder: decoder) {
                differing.append("\(file.lastPathComponent) at 1/\(scale.rawValue)")
            }
        }
        #expect(differing.isEmpty, "differ from djpeg: \(differing.prefix(5))")
    }

    @Test func targetSizePicksTheStrongestReduction() throws {
        #expect(JPEGScale.largestReduction(width: 2000, height: 1600, keepingAtLeast: 224) == .quarter)
        #expect(JPEGScale.largestReduction(width: 2000, height: 1600, keepingAtLeast: 128) == .eighth)
        #expect(JPEGScale.largestReduction(width: 300, height: 300, keepingAtLeast: 224) == .full)
        let decoder = ImageDecoder(options: DecodeOptions(targetSize: 50))
        let image = try decoder.decode(contentsOf: TestPaths.fixture("valid/gray-baseline.jpeg").path)
        #expect(image.width == 102 && image.height == 79, "203x157 at 1/2 keeps both sides >= 50")
        #expect(image.source.storedWidth == 203)
    }

    @Test func grayStaysOneChannelAndColourIsRGB() throws {
        let gray = try ImageDecoder().decode(contentsOf: TestPaths.fixture("valid/gray-progressive.jpeg").path)
        let colour = try ImageDecoder().decode(contentsOf: TestPaths.fixture("valid/rgb-422-progressive.jpeg").path)
        #expect(gray.channels == 1 && colour.channels == 3)
    }

    static let cmykFixtures = TestPaths.files(in: TestPaths.fixture("cmyk"), extensions: ["jpeg"])

    /// CMYK and YCCK JPEGs decode to one gray channel equal to Pillow's `convert("L")`, sample for sample.
    @Test(.needsPython, arguments: cmykFixtures)
    func cmykDecodesToGrayAsPillowDoes(_ file: URL) throws {
        let python = try #require(TestPaths.python)
        let script = """
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1])
            assert im.mode == "CMYK", im.mode
            gray = im.convert("L")
            sys.stdout.buffer.write(b"P5\\n%d %d\\n255\\n" % gray.size + gray.tobytes())
            """
        let reference = try NetpbmImage(try ProcessRunner.run(python, ["-c", script, file.path]).stdout)
        let image = try ImageDecoder().decode(contentsOf: file.path)
        #expect(image.channels == 1 && image.width == reference.width && image.height == reference.height)
        guard case .uint8(let samples) = image.pixels else { Issue.record("expected 8-bit samples"); return }
        #expect(reference.equals(samples), "\(file.lastPathComponent) differs from Pillow")
    }
}
