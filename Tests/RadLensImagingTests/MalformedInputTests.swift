import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// Every malformed file gives a `DecodeError` naming the file and a reason: no crash, no hang.
@Suite struct MalformedInputTests {
    static let corpus = TestPaths.files(in: TestPaths.fixture("malformed"))

    @Test func corpusIsLargeEnough() {
        #expect(Self.corpus.count >= 30)
    }

    @Test(arguments: corpus)
    func givesAClearError(_ file: URL) {
        do {
            let image = try ImageDecoder().decode(contentsOf: file.path)
            Issue.record("\(file.lastPathComponent) decoded as \(image.width)x\(image.height) instead of failing")
        } catch {
            #expect(error.path == file.path)
            #expect(error.description.hasPrefix(file.path + ": "))
            #expect(error.reason.count > 8, "a reason a person can act on: \(error.reason)")
        }
    }

    @Test func errorKindsSaySomethingUseful() throws {
        func kind(_ name: String) -> DecodeError.Kind? {
            do {
                _ = try ImageDecoder().decode(contentsOf: TestPaths.fixture("malformed/\(name)").path)
                return nil
            } catch { return error.kind }
        }
        #expect(kind("empty.png") == .empty)
        #expect(kind("text-renamed.png") == .unknownFormat)
        #expect(kind("png-huge-declared-size.png") == .badDimensions || kind("png-huge-declared-size.png") == .corrupt)
        #expect(kind("jpeg-huge-declared-size.jpeg") == .badDimensions)
        #expect(kind("png-truncated-at-60.png") == .corrupt)
        #expect(kind("jpeg-truncated-at-300.jpeg") == .corrupt)
    }

    @Test func pixelLimitIsConfigurable() throws {
        let file = TestPaths.fixture("valid/gray8.png").path
        let strict = ImageDecoder(options: DecodeOptions(limits: DecodeLimits(maxPixels: 1000)))
        #expect(throws: DecodeError.self) { try strict.decode(contentsOf: file) }
        #expect(try ImageDecoder(options: DecodeOptions(limits: DecodeLimits(maxPixels: 1073))).decode(contentsOf: file).pixelCount == 1073)
    }

    @Test func missingAndDirectoryInputsAreErrors() {
        #expect(throws: DecodeError.self) { try ImageDecoder().decode(contentsOf: "/nonexistent/chest.png") }
        #expect(throws: DecodeError.self) { try ImageDecoder().decode(contentsOf: TestPaths.fixture("valid").path) }
    }

    @Test func aDecoderRecoversAfterAnError() throws {
        let decoder = ImageDecoder()
        var image = Image()
        for file in Self.corpus { try? decoder.decode(contentsOf: file.path, into: &image) }
        try decoder.decode(contentsOf: TestPaths.fixture("valid/rgb-420-baseline.jpeg").path, into: &image)
        #expect(image.width == 203)
    }
}
