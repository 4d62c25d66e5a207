import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// Decoded pixels against pydicom 3.0.2 (with pylibjpeg-openjpeg and pylibjpeg-rle), on real files
/// from the pydicom and pydicom-data wheels. References: Tests/Fixtures/dicom/make_references.py.
@Suite struct PydicomReferenceTests {
    /// Lossy files and the largest difference accepted from pydicom's decode.
    /// Observed: 0 everywhere (OpenJPEG 2.5 and libjpeg-turbo on both sides); the allowance covers
    /// other library versions. Files not listed must match exactly (all checksums equal).
    static let tolerance: [String: Int] = [
        "RG3_J2KI": 1,             // JPEG 2000 lossy: Debian's OpenJPEG here, pylibjpeg-openjpeg's there
        "SC_rgb_jpeg_dcmtk": 2, "SC_jpeg_no_color_transform": 2, "SC_rgb_jpeg": 2,  // JPEG baseline: libjpeg-turbo vs Pillow
        "SC_ybr_full_uncompressed": 1, "SC_ybr_full_422_uncompressed": 1,  // YBR to RGB rounding (float32 in pydicom)
    ]

    static let references = DICOMFixtures.references

    @Test func everyKindIsCovered() {
        #expect(Self.references.count >= 25)
    }

    @Test(arguments: references)
    func matchesPydicom(_ stem: String) throws {
        let parts = stem.split(separator: ".")
        let name = String(parts[0])
        let kind = parts.count > 1 ? String(parts[1]) : "stored"
        let reference = try PixelReference(stem)
        let file = try DICOMFixtures.open(name + ".dcm")
        var values: [Int]
        switch kind {
        case "modality":
            let rendered = try file.render(frame: reference.frame, rendering: .modality)
            values = rendered.image.pixels.ints.map { rendered.value(ofSample: $0) }
        case "rgb":
            values = try file.image(frame: reference.frame, rendering: .automatic).pixels.ints
        default:
            if let photometric = reference.photometric, photometric.hasPrefix("YBR") {
                // pydicom 3 converts YBR to RGB by default: compare rendered RGB.
                values = try file.image(frame: reference.frame, rendering: .automatic).pixels.ints
            } else {
                values = try file.frame(reference.frame).values.map { Int($0) }
            }
        }
        #expect(values.count == reference.shape.reduce(1, *), "\(stem): \(values.count) samples, reference shape \(reference.shape)")
        guard values.count == reference.shape.reduce(1, *) else { return }
        let (exact, maxDifference, meanDifference) = reference.compare(values)
        let allowed = Self.tolerance[name] ?? 0
        print("pydicom \(stem): exact=\(exact) max|diff|=\(maxDifference) mean|diff|=\(meanDifference) (allowed \(allowed))")
        if allowed == 0 {
            #expect(exact, "\(stem): checksums differ from pydicom (max difference on the sampled grid \(maxDifference))")
        }
        #expect(maxDifference <= allowed, "\(stem): max difference \(maxDifference) > \(allowed)")
    }
}
