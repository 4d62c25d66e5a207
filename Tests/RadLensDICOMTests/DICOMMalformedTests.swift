import Foundation
import RadLensImaging
import RadLensTestSupport
import Testing

/// Damaged files (Tests/Fixtures/dicom/malformed, written by make_references.py): each gives a
/// DecodeError that names the file and says why; no crash, no hang, no huge allocation.
@Suite struct DICOMMalformedTests {
    static let corpus = TestPaths.files(in: DICOMFixtures.folder.appendingPathComponent("malformed"), extensions: ["dcm"])

    @Test func corpusIsLargeEnough() {
        #expect(Self.corpus.count >= 15)
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

    @Test func errorsSayWhatIsWrong() {
        func reason(_ name: String) -> DecodeError? {
            do {
                _ = try ImageDecoder().decode(contentsOf: DICOMFixtures.folder.appendingPathComponent("malformed/\(name).dcm").path)
                return nil
            } catch { return error }
        }
        #expect(reason("deep-nesting")?.reason.contains("nested deeper than 32") == true)
        #expect(reason("bad-transfer-syntax")?.kind == .unsupported)
        #expect(reason("bad-transfer-syntax")?.reason.contains("unsupported transfer syntax 1.2.3.4.999 (unknown)") == true)
        #expect(reason("huge-length")?.reason.contains("declares 4294967280 bytes") == true)
        #expect(reason("zero-rows")?.kind == .badDimensions)
        #expect(reason("huge-dimensions")?.kind == .badDimensions)
        #expect(reason("wrong-vr-bytes")?.reason.contains("invalid VR") == true)
        #expect(reason("truncated-at-1")?.kind == .unknownFormat)
    }

    @Test func theBaseFileIsValid() throws {
        let image = try ImageDecoder().decode(contentsOf: DICOMFixtures.file("tiny_valid.dcm"))
        #expect(image.width == 8 && image.height == 8)
    }

    /// Every prefix of a small real file fails cleanly (or, for prefixes that keep the whole
    /// dataset, decodes).
    @Test func everyTruncationOfARealFileIsHandled() throws {
        let bytes = try FileReader.read(DICOMFixtures.file("MR_small_RLE.dcm"))
        var failures = 0
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            do {
                _ = try DICOMFile(bytes: Array(bytes[0..<cut]), path: "cut").image()
            } catch {
                #expect(error.path == "cut")
                failures += 1
            }
        }
        #expect(failures > bytes.count / 7 - 2)
    }
}

/// Absurd rescale, window and LUT values (Tests/Fixtures/dicom/hostile): every rendering either
/// works or throws; nothing traps on a conversion or an index.
@Suite struct DICOMHostileValueTests {
    static let files = TestPaths.files(in: DICOMFixtures.folder.appendingPathComponent("hostile"), extensions: ["dcm"])

    @Test func thereAreSome() { #expect(Self.files.count >= 5) }

    @Test(arguments: files)
    func everyRenderingIsSafe(_ url: URL) throws {
        let file = try DICOMFile(contentsOf: url.path)
        let renderings: [DICOMRendering] = [.raw, .modality, .defaultWindow, .fullRange, .automatic,
                                            .window(center: 1e308, width: 1e-300), .window(center: -.infinity, width: .nan)]
        for rendering in renderings {
            if let image = try? file.image(rendering: rendering) {
                #expect(image.pixelCount == 64)
            }
        }
        _ = try? file.statistics()
        _ = file.dump(includePHI: true)
    }
}

/// Random damage to the dataset header of real files (deterministic): every result is an image
/// or a DecodeError.
@Suite struct DICOMByteFlipTests {

    @Test(arguments: ["MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm", "image_dfl.dcm"])
    func flippedBytesNeverTrap(_ name: String) throws {
        let original = try FileReader.read(DICOMFixtures.file(name))
        let pixelStart = try DICOMFile(bytes: original, path: name).dataset[.pixelData]?.valueRange.lowerBound ?? original.count
        let header = min(pixelStart, original.count)
        var random = SplitMix(state: UInt64(name.utf8.count))
        var failures = 0
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                bytes[Int(random.next() % UInt64(header))] = UInt8(truncatingIfNeeded: random.next())
            }
            do { _ = try DICOMFile(bytes: bytes, path: name).image() } catch { failures += 1 }
        }
        print("byte flips \(name): \(failures) of 300 damaged copies refused, the rest decoded")
    }
}
