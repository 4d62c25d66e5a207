import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// PNG decoding equals netpbm's `pngtopam`, an independent reader, sample for sample.
@Suite struct PNGDecodeTests {
    static let fixtures = TestPaths.files(in: TestPaths.fixture("valid"), extensions: ["png"])

    @Test(arguments: fixtures)
    func matchesPngtopam(_ file: URL) throws {
        try #require(ProcessRunner.available("pngtopam"), "pngtopam (Debian netpbm) is needed; `make test` installs it")
        let image = try ImageDecoder().decode(contentsOf: file.path)
        let reference = try NetpbmImage(ProcessRunner.run("pngtopam", ["-alphapam", file.path]).stdout)
        #expect(image.width == reference.width && image.height == reference.height)
        // pngtopam -alphapam always adds an alpha channel; RadLens adds one only when the file has alpha.
        let hasAlpha = image.channels == 2 || image.channels == 4
        #expect(image.channels == (hasAlpha ? reference.depth : reference.depth - 1))
        // Low-bit gray: pngtopam keeps maxval 1/3/15, libpng expands to 0...255 by bit replication.
        let scale = image.bitDepth == 8 ? 255 / reference.maxval : 65535 / reference.maxval
        var mismatches = 0
        for pixel in 0..<(image.width * image.height) {
            for channel in 0..<image.channels {
                let expected = reference.sample(pixel * reference.depth + channel) * scale
                if image.pixels[pixel * image.channels + channel] != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "\(mismatches) samples differ from pngtopam in \(file.lastPathComponent)")
    }

    @Test func channelsFollowColourType() throws {
        let expected = ["gray8.png": 1, "gray2.png": 1, "gray-alpha16.png": 2, "rgb8.png": 3, "rgba16.png": 4,
                        "palette4.png": 3, "palette8.png": 4, "gray8-trns.png": 2]
        for (name, channels) in expected {
            let image = try ImageDecoder().decode(contentsOf: TestPaths.fixture("valid/\(name)").path)
            #expect(image.channels == channels, "\(name)")
        }
    }

    @Test func sixteenBitKeepsFullPrecision() throws {
        let image = try ImageDecoder().decode(contentsOf: TestPaths.fixture("valid/gray16-sbit12.png").path)
        #expect(image.bitDepth == 16)
        #expect(image.significantBits == 12)
        let statistics = ImageStatistics(of: image)
        #expect(statistics.max <= 4095 && statistics.max > 4000, "12-bit values kept as stored, not rescaled")
        let distinct = Set((0..<image.pixels.count).map { image.pixels[$0] })
        #expect(distinct.count > 256, "more than 256 levels: not squeezed to 8 bits")
    }

    @Test func formatComesFromContentNotExtension() throws {
        let renamed = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-png-named.jpeg")
        try FileManager.default.copyItem(at: TestPaths.fixture("valid/rgb8.png"), to: renamed, replacing: true)
        let image = try ImageDecoder().decode(contentsOf: renamed.path)
        #expect(image.source.format == .png)
    }

    @Test func decodingAgainReusesTheBuffer() throws {
        let decoder = ImageDecoder()
        var image = Image()
        func storageAddress() -> UInt? {
            guard case .uint8(let samples) = image.pixels else { return nil }
            return samples.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        }
        try decoder.decode(contentsOf: TestPaths.fixture("valid/rgb8.png").path, into: &image)
        let first = storageAddress()
        try decoder.decode(contentsOf: TestPaths.fixture("valid/rgb8-interlaced.png").path, into: &image)
        #expect(first != nil && storageAddress() == first)
    }
}

extension FileManager {
    func copyItem(at source: URL, to destination: URL, replacing: Bool) throws {
        if replacing { try? removeItem(at: destination) }
        try copyItem(at: source, to: destination)
    }
}
