import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// The encoder writes PNGs that RadLens and `pngtopam` read back unchanged.
@Suite struct PNGEncodeTests {
    static func sampleImage(channels: Int, bitDepth: Int) -> Image {
        let width = 41, height = 23
        let count = width * height * channels
        let pixels: PixelBuffer = bitDepth == 8
            ? .uint8((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 7) })
            : .uint16((0..<count).map { UInt16(truncatingIfNeeded: $0 &* 2719 &+ 11) })
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    @Test(arguments: [1, 2, 3, 4], [8, 16])
    func roundTrips(channels: Int, bitDepth: Int) throws {
        let original = Self.sampleImage(channels: channels, bitDepth: bitDepth)
        let bytes = try PNGEncoder().encode(original)
        var decoded = Image()
        try PNGDecoder().decode(bytes, into: &decoded)
        #expect(decoded.pixels == original.pixels)
        #expect(decoded.width == original.width && decoded.height == original.height && decoded.channels == channels)

        try #require(ProcessRunner.available("pngtopam"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-encode-\(channels)-\(bitDepth).png")
        try Data(bytes).write(to: file)
        let reference = try NetpbmImage(ProcessRunner.run("pngtopam", ["-alphapam", file.path]).stdout)
        #expect(reference.maxval == (1 << bitDepth) - 1)
        for index in stride(from: 0, to: original.pixelCount, by: 97) {
            #expect(reference.sample(index * reference.depth) == original.pixels[index * channels])
        }
    }

    @Test func refusesWhatPNGCannotHold() {
        let image = Image(width: 2, height: 1, channels: 5, pixels: .uint8(Array(repeating: 0, count: 10)))
        #expect(throws: DecodeError.self) { try PNGEncoder().encode(image) }
    }
}
