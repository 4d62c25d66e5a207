import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// Planted identifiers (Tests/Fixtures/dicom/phi/planted.dcm) never leave the reader unless asked.
@Suite struct DICOMPrivacyTests {
    static let planted = DICOMFixtures.folder.appendingPathComponent("phi/planted.dcm").path
    static let identifiers = ["PHI^PLANTED", "PHI-ID-12345", "19010101", "PHI-ADDRESS", "PHI-OTHER-777", "PHI-ACC-999",
                              "PHI-INSTITUTION", "PHI^REFERRER", "PHI^OPERATOR", "19020202", "PHI-STATION",
                              "PHI-SERIAL-42", "PHI^NESTED", "PHI-PRIVATE", "125Y"]

    func text(_ lines: [DICOMElementDescription]) -> String {
        lines.map { "\($0.tag) \($0.vr) \($0.keyword) \($0.value)" }.joined(separator: "\n")
    }

    @Test func dumpMasksPHI() throws {
        let file = try DICOMFile(contentsOf: Self.planted)
        let masked = text(file.dump(includePHI: false))
        for identifier in Self.identifiers {
            #expect(!masked.contains(identifier), "\(identifier) leaked into the dump")
        }
        #expect(masked.contains("<masked>"))
        // What the report may use is still there.
        #expect(masked.contains("CHEST") && masked.contains("PA") && masked.contains("1.2.826.0.1.3680043.8.498.2"))
    }

    @Test func dumpShowsPHIWhenAsked() throws {
        let full = text(try DICOMFile(contentsOf: Self.planted).dump(includePHI: true))
        for identifier in Self.identifiers {
            #expect(full.contains(identifier), "\(identifier) missing with includePHI")
        }
    }

    @Test func metadataAndImageCarryNoPHI() throws {
        let file = try DICOMFile(contentsOf: Self.planted)
        let json = String(decoding: try JSONEncoder().encode(file.metadata), as: UTF8.self)
        let stats = String(decoding: try JSONEncoder().encode(file.statistics()), as: UTF8.self)
        let image = try ImageDecoder().decode(contentsOf: Self.planted)
        for identifier in Self.identifiers {
            #expect(!json.contains(identifier) && !stats.contains(identifier) && !"\(image.source)".contains(identifier))
        }
        #expect(file.metadata.modality == "CR" && file.metadata.viewPosition == "PA" && file.metadata.bodyPartExamined == "CHEST")
    }

    @Test func errorsCarryNoPHI() throws {
        // A damaged copy of the planted file: the error names the file and the problem only.
        var bytes = try FileReader.read(Self.planted)
        bytes.removeLast(10)
        var image = Image()
        do throws(DecodeError) {
            try ImageDecoder().decode(bytes, path: "planted-truncated.dcm", into: &image)
            Issue.record("the truncated file decoded")
        } catch {
            for identifier in Self.identifiers { #expect(!error.description.contains(identifier)) }
        }
    }
}
