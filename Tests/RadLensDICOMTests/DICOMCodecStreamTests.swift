import Foundation
@testable import RadLensImaging
import RadLensTestSupport
import Testing

/// JPEG lossless and JPEG-LS frames (DCMTK-encoded) and HTJ2K frames (OpenJPH-encoded; all in
/// Tests/Fixtures/dicom) cut short give a clear
/// DecodeError naming the file; with a flipped bit, an error or other values (a flip the codec
/// cannot see); never a crash or a hang.
@Suite struct DICOMCodecStreamTests {
    static let files = ["CT_small_jpeg_lossless_sv5.dcm", "MR_small_jpeg_lossless_sv7_pt2.dcm", "SC_rgb_jpeg_lossless_sv1.dcm",
                        "CT_small_jpeg_ls_lossless.dcm", "emri_small_jpeg_ls_near.dcm", "SC_rgb_jpeg_ls_planar.dcm",
                        "CT_small_htj2k_lossless.dcm", "emri_small_htj2k_rpcl.dcm", "image_dfl_htj2k_lossy.dcm"]

    /// The codec that decodes `name`'s frames.
    static func decode(_ name: String, _ frame: [UInt8], _ pixel: DICOMPixelDescription) throws(DecodeError) -> DICOMFrame {
        if name.contains("htj2k") { return try DICOMJPEG2000.decode(frame, pixel: pixel, limits: DecodeLimits(), path: "/damaged/\(name)") }
        return name.contains("jpeg_ls")
            ? try DICOMJPEGLS.decode(frame, pixel: pixel, limits: DecodeLimits(), path: "/damaged/\(name)")
            : try DICOMJPEGLossless.decode(frame, pixel: pixel, limits: DecodeLimits(), path: "/damaged/\(name)")
    }

    @Test(arguments: files)
    func damagedStreamsFailClearly(_ name: String) throws {
        let file = try DICOMFixtures.open(name)
        let pixel = try file.pixelDescription()
        let fragments = try #require(file.dataset[.pixelData]?.fragments)
        let frame = try file.frameBytes(0, fragments: fragments, frames: pixel.frames)
        let intact = try Self.decode(name, frame, pixel)
        #expect(intact.values == (try file.frame(0)).values, "the codec alone decodes the frame as the file does")
        for fraction in [0.0, 0.05, 0.3, 0.6, 0.9] {
            let cut = Array(frame.prefix(Int(Double(frame.count) * fraction)))
            #expect(throws: DecodeError.self, "\(name) cut at \(Int(fraction * 100))%") { _ = try Self.decode(name, cut, pixel) }
        }
        var generator = SplitMix(state: UInt64(name.utf8.count))
        var failures = 0
        for _ in 0..<60 {
            var flipped = frame
            let at = Int(generator.next() % UInt64(frame.count))
            flipped[at] ^= UInt8(1 << (generator.next() % 8))
            do {
                _ = try Self.decode(name, flipped, pixel)
            } catch {
                failures += 1
                #expect(error.path == "/damaged/\(name)" && !error.reason.isEmpty)
            }
        }
        print("\(name): 60 single-bit flips, \(failures) refused, the rest decoded to other values; no crash")
    }
}
