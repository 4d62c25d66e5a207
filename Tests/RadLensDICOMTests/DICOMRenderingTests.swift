import Foundation
@testable import RadLensImaging
import RadLensTestSupport
import Testing

/// Modality LUT, VOI LUT, MONOCHROME1, colour, and what ImageDecoder hands the pipeline.
@Suite struct DICOMRenderingTests {
    @Test func monochrome1IsInvertedSoDenseIsBright() throws {
        let file = try DICOMFixtures.open("RG1_UNCR.dcm")
        let stored = try file.frame().values
        let modality = try file.render(rendering: .modality)
        #expect(modality.inverted && modality.image.bitDepth == 16)
        let samples = modality.image.pixels.ints
        // Lowest stored value (densest, MONOCHROME1) becomes the brightest sample.
        let darkest = stored.indices.min { stored[$0] < stored[$1] }!
        #expect(samples[darkest] == samples.max())
        // Values are recoverable.
        for i in stride(from: 0, to: stored.count, by: 9973) {
            #expect(modality.value(ofSample: samples[i]) == Int(stored[i]))
        }
        let windowed = try file.image(rendering: .defaultWindow)
        #expect(windowed.bitDepth == 8)
        #expect(windowed.pixels[darkest] == windowed.pixels.ints.max())
    }

    @Test func signedCTModalityValuesAreRecoverable() throws {
        let file = try DICOMFixtures.open("CT_small.dcm")
        let rendered = try file.render(rendering: .modality)
        #expect(!rendered.inverted)
        let values = rendered.image.pixels.ints.map { rendered.value(ofSample: $0) }
        let stats = try file.statistics()
        #expect(Double(values.min()!) == stats.min && Double(values.max()!) == stats.max)
        #expect(stats.min < -800 && stats.max > 1000, "Hounsfield units: \(stats)")
        let raw = try file.render(rendering: .raw)
        #expect(raw.valueOrigin == -(1 << 15))
    }

    @Test func windowFunctionsFollowTheStandard() {
        let linear = VOITransform.window(center: 40, width: 400, function: "LINEAR")
        #expect(linear(-161) == 0 && linear(240) == 255)
        #expect(abs(linear(39.5) - 127.5) < 1e-9)
        let exact = VOITransform.window(center: 40, width: 400, function: "LINEAR_EXACT")
        #expect(exact(-160) == 0 && exact(240) == 255 && exact(40) == 127.5)
        let sigmoid = VOITransform.window(center: 40, width: 400, function: "SIGMOID")
        #expect(sigmoid(40) == 127.5 && sigmoid(1000) > 254)
    }

    @Test func explicitWindowAndDefaultWindow() throws {
        let file = try DICOMFixtures.open("MR_small.dcm")
        let a = try file.image(rendering: .window(center: 600, width: 1600))
        let b = try file.image(rendering: .defaultWindow)
        #expect(a == b)
        let narrow = try file.image(rendering: .window(center: 600, width: 10))
        #expect(Set(narrow.pixels.ints).count <= 12)
    }

    /// 8-bit windowed output equals DCMTK's dcm2pnm exactly (+Wi 1: the first window in the file;
    /// +Wl 1: the first VOI LUT; +Wm: min-max window, our default without either), MONOCHROME1 included.
    @Test(.needsTool("dcm2pnm"), arguments: [("MR_small.dcm", "+Wi"), ("RG1_UNCR.dcm", "+Wi"), ("vlut_04.dcm", "+Wl"), ("CT_small.dcm", "+Wm")])
    func windowAgreesWithDcm2pnm(_ name: String, _ option: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-dcm2pnm-\(name).pgm")
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments = (option == "+Wm" ? [option] : [option, "1"]) + [DICOMFixtures.file(name), out.path]
        let result = try ProcessRunner.run("dcm2pnm", arguments)
        try #require(result.status == 0, "dcm2pnm failed: \(result.stderr)")
        let reference = try NetpbmImage(Data(contentsOf: out))
        let ours = try DICOMFixtures.open(name).image(rendering: .defaultWindow)
        #expect(reference.width == ours.width && reference.height == ours.height)
        var maxDifference = 0, differing = 0
        for i in 0..<ours.pixelCount {
            let d = abs(ours.pixels[i] - reference.sample(i))
            maxDifference = max(maxDifference, d)
            if d > 0 { differing += 1 }
        }
        print("dcm2pnm \(option) \(name): max |diff| \(maxDifference), \(differing) of \(ours.pixelCount) samples differ")
        #expect(maxDifference == 0)
    }

    @Test func imageDecoderGivesAMonochrome2ImageTheModelCanUse() throws {
        let decoder = ImageDecoder()
        // A window in the file: 8-bit.
        let rg1 = try decoder.decode(contentsOf: DICOMFixtures.file("RG1_UNCR.dcm"))
        #expect(rg1.bitDepth == 8 && rg1.channels == 1 && rg1.source.format == .dicom && rg1.source.storedBitDepth == 15)
        // The pixels the file renders, with its report-safe attributes and study context handed on.
        let file = try DICOMFixtures.open("RG1_UNCR.dcm")
        var expected = try file.image(rendering: .defaultWindow)
        expected.source.dicom = file.metadata
        expected.source.dicomStudy = file.studyContext
        #expect(rg1 == expected)
        #expect(rg1.source.dicom?.modality == "CR" && rg1.source.dicomStudy?.studyInstanceUID == file.dataset.string(.studyInstanceUID))
        // No window: the modality range Bits Stored allows, to 16 bits.
        let ct = try decoder.decode(contentsOf: DICOMFixtures.file("CT_small.dcm"))
        let stats = try DICOMFixtures.open("CT_small.dcm").statistics()
        let bitsStored = try DICOMFixtures.open("CT_small.dcm").pixelDescription().bitsStored
        let low = -Double(1 << (bitsStored - 1)) - 1024, high = Double((1 << (bitsStored - 1)) - 1) - 1024
        #expect(ct.bitDepth == 16)
        #expect(ct.pixels.ints.min() == Int(((stats.min - low) / (high - low) * 65535).rounded()))
        #expect(ct.pixels.ints.max() == Int(((stats.max - low) / (high - low) * 65535).rounded()))
        // Colour: RGB.
        let rgb = try decoder.decode(contentsOf: DICOMFixtures.file("SC_rgb_jpeg_dcmtk.dcm"))
        #expect(rgb.channels == 3 && rgb.bitDepth == 8)
        let palette = try decoder.decode(contentsOf: DICOMFixtures.file("examples_palette.dcm"))
        #expect(palette.channels == 3)
    }

    @Test func modalityAndVOILUTSequences() throws {
        let mlut = try DICOMFixtures.open("mlut_18.dcm")
        #expect(!mlut.dataset.sequence(.modalityLUTSequence).isEmpty)
        let vlut = try DICOMFixtures.open("vlut_04.dcm")
        #expect(!vlut.dataset.sequence(.voiLUTSequence).isEmpty)
        let pixel = try vlut.pixelDescription()
        guard case .lut = vlut.defaultVOI(pixel: pixel) else { Issue.record("no VOI LUT"); return }
        #expect(try vlut.image(rendering: .automatic).bitDepth == 8)
    }

    /// A JPEG wrapped in DICOM by DCMTK's img2dcm decodes to the JPEG's own pixels (times 257 in
    /// 16 bits, so the same after the pipeline's unit scaling): the same findings either way.
    @Test(.needsTool("img2dcm")) func img2dcmWrappedJPEGEqualsTheJPEG() throws {
        for jpeg in [TestPaths.fixture("valid/gray-baseline.jpeg").path,
                     TestPaths.repository.appendingPathComponent("SampleImages/chest-pa-cr.jpeg").path] {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("radlens-img2dcm-\(UUID().uuidString).dcm")
            defer { try? FileManager.default.removeItem(at: out) }
            let result = try ProcessRunner.run("img2dcm", [jpeg, out.path])
            try #require(result.status == 0, "img2dcm failed: \(result.stderr)")
            let decoder = ImageDecoder()
            let reference = try decoder.decode(contentsOf: jpeg)
            let wrapped = try decoder.decode(contentsOf: out.path)
            #expect(wrapped.source.format == .dicom)
            #expect(wrapped.width == reference.width && wrapped.height == reference.height && wrapped.channels == reference.channels)
            if reference.channels == 1 {
                #expect(wrapped.pixels.ints == reference.pixels.ints.map { $0 * 257 }, "\(jpeg)")
            } else {
                #expect(wrapped.pixels == reference.pixels, "\(jpeg)")
            }
        }
    }
}
