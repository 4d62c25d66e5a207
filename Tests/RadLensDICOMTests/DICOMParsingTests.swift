import Foundation
@testable import RadLensImaging
import RadLensTestSupport
import Testing

/// The Part 10 reader: encodings, sniffing, laziness, metadata, and agreement with dcmdump.
@Suite struct DICOMParsingTests {
    @Test func transferSyntaxesAreRecognised() throws {
        let cases: [(String, String)] = [
            ("MR_small.dcm", "1.2.840.10008.1.2.1"),
            ("MR_small_implicit.dcm", "1.2.840.10008.1.2"),
            ("MR_small_bigendian.dcm", "1.2.840.10008.1.2.2"),
            ("image_dfl.dcm", "1.2.840.10008.1.2.1.99"),
            ("MR_small_RLE.dcm", "1.2.840.10008.1.2.5"),
            ("SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50"),
            ("RG1_J2KR.dcm", "1.2.840.10008.1.2.4.90"),
            ("RG3_J2KI.dcm", "1.2.840.10008.1.2.4.91"),
            ("CT_small_htj2k_lossless.dcm", "1.2.840.10008.1.2.4.201"),
            ("emri_small_htj2k_rpcl.dcm", "1.2.840.10008.1.2.4.202"),
            ("image_dfl_htj2k_lossy.dcm", "1.2.840.10008.1.2.4.203"),
            ("MR_small_implicit_no_meta.dcm", "1.2.840.10008.1.2"),
            ("ExplVR_LitEndNoMeta.dcm", "1.2.840.10008.1.2.1"),
            ("ExplVR_BigEndNoMeta.dcm", "1.2.840.10008.1.2.2"),
        ]
        for (name, uid) in cases {
            let file = try DICOMFixtures.open(name)
            #expect(file.transferSyntax.uid == uid, "\(name)")
        }
    }

    @Test func filesWithoutPreambleAreRecognisedByContent() throws {
        for name in ["MR_small_implicit_no_meta.dcm", "ExplVR_LitEndNoMeta.dcm", "ExplVR_BigEndNoMeta.dcm"] {
            let bytes = try FileReader.read(DICOMFixtures.file(name))
            #expect(ImageFormat.sniff(bytes) == .dicom, "\(name)")
            #expect(try !DICOMFile(bytes: bytes, path: name).hasPreamble)
        }
        let withPreamble = try FileReader.read(DICOMFixtures.file("CT_small.dcm"))
        #expect(ImageFormat.sniff(withPreamble) == .dicom)
        #expect(ImageFormat.sniff(Array("This is a text file, not an image.".utf8)) == nil)
        // No extension needed: recognised by content through ImageDecoder.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-dicom-no-extension")
        try Data(withPreamble).write(to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let image = try ImageDecoder().decode(contentsOf: copy.path)
        #expect(image.source.format == .dicom && image.width == 128 && image.height == 128)
    }

    @Test func allSyntaxesOfOneImageDecodeToTheSameValues() throws {
        let reference = try DICOMFixtures.open("MR_small.dcm").frame().values
        for name in ["MR_small_implicit.dcm", "MR_small_implicit_no_meta.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
                     "MR_small_jp2klossless.dcm"] {
            #expect(try DICOMFixtures.open(name).frame().values == reference, "\(name)")
        }
        let rg1 = try DICOMFixtures.open("RG1_UNCR.dcm").frame().values
        #expect(try DICOMFixtures.open("RG1_J2KR.dcm").frame().values == rg1)
        let mr3 = try DICOMFixtures.open("emri_small.dcm").frame(3).values
        #expect(try DICOMFixtures.open("emri_small_RLE.dcm").frame(3).values == mr3)
    }

    @Test func lossyJPEG2000IsCloseToLossless() throws {
        let lossless = try DICOMFixtures.open("RG3_J2KR.dcm").frame().values
        let lossy = try DICOMFixtures.open("RG3_J2KI.dcm").frame().values
        #expect(lossless.count == lossy.count)
        let differences = zip(lossless, lossy).map { abs(Int($0) - Int($1)) }
        let mean = Double(differences.reduce(0, +)) / Double(differences.count)
        print("RG3 J2K lossy vs lossless: max |diff| \(differences.max() ?? 0), mean |diff| \(mean)")
        #expect(mean < 8)
    }

    @Test func pixelDataIsReadLazily() throws {
        // The element records where the pixels are; nothing is decoded or copied until asked.
        let file = try DICOMFixtures.open("RG1_UNCR.dcm")
        let element = try #require(file.dataset[.pixelData])
        let pixel = try file.pixelDescription()
        #expect(element.valueRange.count == pixel.rows * pixel.columns * 2)
        // A file whose pixel data is too short parses; only decoding fails.
        let short = try DICOMFile(contentsOf: DICOMFixtures.folder.appendingPathComponent("malformed/pixel-data-too-short.dcm").path)
        #expect(short.metadata.rows == 8)
        #expect(throws: DecodeError.self) { try short.frame() }
    }

    @Test func encapsulatedPixelDataIsSplitIntoFrames() throws {
        let file = try DICOMFixtures.open("emri_small_RLE.dcm")
        let fragments = try #require(file.dataset[.pixelData]?.fragments)
        #expect(file.metadata.frames == 10 && fragments.fragments.count == 10)
        let frames = try (0..<10).map { try file.frame($0).values }
        #expect(Set(frames.map { $0.hashValue }).count == 10, "each frame is different")
        #expect(throws: DecodeError.self) { try file.frame(10) }
    }

    @Test func metadataForTheReport() throws {
        let rg1 = try DICOMFixtures.open("RG1_UNCR.dcm").metadata
        #expect(rg1.modality == "CR")
        #expect(rg1.photometricInterpretation == "MONOCHROME1")
        #expect(rg1.bitsStored == 15)
        #expect(rg1.transferSyntaxName == "Explicit VR Little Endian")
        #expect(rg1.studyInstanceUID?.hasPrefix("1.") == true)
        let ct = try DICOMFixtures.open("CT_small.dcm").metadata
        #expect(ct.modality == "CT" && ct.rows == 128 && ct.columns == 128)
        #expect(ct.pixelSpacing?.count == 2)
        #expect(try DICOMFixtures.open("emri_small.dcm").metadata.frames == 10)
    }

    /// Values agree with DCMTK's dcmdump (Debian dcmtk) on every encoding.
    @Test(.needsTool("dcmdump"), arguments: ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm",
                      "RG1_UNCR.dcm", "SC_rgb_jpeg_dcmtk.dcm", "emri_small_RLE.dcm"])
    func agreesWithDcmdump(_ name: String) throws {
        let tags: [DICOMTag] = [.rows, .columns, .bitsStored, .photometricInterpretation, .modality,
                                .studyInstanceUID, .seriesInstanceUID, .samplesPerPixel]
        let arguments = tags.flatMap { ["+P", String($0.description.dropFirst().dropLast())] } + [DICOMFixtures.file(name)]
        let output = try ProcessRunner.run("dcmdump", arguments)
        try #require(output.status == 0, "dcmdump failed: \(output.stderr)")
        let file = try DICOMFixtures.open(name)
        let ours = Dictionary(file.dump(includePHI: true).map { ($0.tag, $0.value) }, uniquingKeysWith: { a, _ in a })
        var compared = 0
        for line in output.stdoutText.split(separator: "\n") where line.hasPrefix("(") {
            let tag = String(line.prefix(11)).lowercased()
            // "(0028,0010) US 512   # 2, 1 Rows" or "(0008,0060) CS [CR]   # 2, 1 Modality"
            var value = line.dropFirst(15).split(separator: "#").first.map { String($0) }?.trimmingCharacters(in: .whitespaces) ?? ""
            if value.hasPrefix("[") && value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
            #expect(ours[tag] == value, "\(name) \(tag): ours \(ours[tag] ?? "nil"), dcmdump \(value)")
            compared += 1
        }
        #expect(compared >= 5)
    }

    @Test func unsupportedSyntaxesSaySo() throws {
        for (name, uid) in [("JPEG-lossy.dcm", "1.2.840.10008.1.2.4.51")] {
            let path = DICOMFixtures.file(name)
            do {
                _ = try ImageDecoder().decode(contentsOf: path)
                Issue.record("\(name) decoded")
            } catch {
                #expect(error.kind == .unsupported)
                #expect(error.reason.contains("unsupported transfer syntax \(uid) ("), "\(error)")
                #expect(error.path == path)
            }
        }
    }

    @Test func unknownTagsPrintAsNumbers() throws {
        let lines = try DICOMFixtures.open("CT_small.dcm").dump(includePHI: true)
        #expect(lines.contains { $0.tag == "(0028,0010)" && $0.keyword == "Rows" && $0.value == "128" && $0.vr == "US" })
        #expect(lines.contains { $0.keyword.isEmpty && $0.tag.hasPrefix("(") })
    }
}
