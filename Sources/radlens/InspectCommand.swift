import ArgumentParser
import Foundation
import RadLensImaging

/// `radlens inspect`: what an image file holds, without running a model.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show format, size, channels, bit depth and sample range of image files; the dataset of DICOM files.",
        discussion: """
            The format is recognised from the file's content, not its extension. For DICOM the dataset \
            is listed like dcmdump, with patient identifiers masked unless --include-phi is given (DICOM \
            objects without pixel data, such as RadLens's SR results, are listed too); \
            --format json adds pixel statistics after the modality LUT. A file that cannot be decoded \
            is reported with the reason; the others are still inspected, and the exit status is 1.

            Examples:
              radlens inspect SampleImages/chest-pa-cr.png
              radlens inspect a.jpeg b.png --format json
              radlens inspect study/IM00001 --format json
            """
    )

    @Argument(help: "Image files (PNG, JPEG or DICOM).", completion: .file())
    var files: [String]

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Refuse images larger than this many megapixels.")
    var maxMegapixels: Int = 200

    @Option(help: "DICOM frame to decode (0-based).")
    var frame: Int = 0

    @Flag(help: "Show patient identifiers in DICOM dumps (masked by default).")
    var includePHI = false

    func run() throws {
        let limits = DecodeLimits(maxPixels: maxMegapixels * 1_000_000)
        let decoder = ImageDecoder(options: DecodeOptions(limits: limits))
        var reports: [InspectReport] = []
        var image = Image()
        for path in files {
            do {
                let bytes = try FileReader.read(path)
                if try ImageDecoder.format(of: bytes, path: path) == .dicom {
                    let dicom = try DICOMFile(bytes: bytes, path: path)
                    let hasImage = dicom.dataset.contains(.pixelData)
                    var report = InspectReport(dicomDocumentAt: path)
                    if hasImage {
                        image = try dicom.image(frame: frame, rendering: .automatic, limits: limits)
                        report = InspectReport(image: image, path: path)
                    }
                    report.dicom = DICOMSection(metadata: dicom.metadata,
                                                statistics: hasImage ? try? dicom.statistics(frame: frame, limits: limits) : nil,
                                                dataset: dicom.dump(includePHI: includePHI))
                    reports.append(report)
                } else {
                    try decoder.decode(bytes, path: path, into: &image)
                    reports.append(InspectReport(image: image, path: path))
                }
            } catch {
                reports.append(InspectReport(path: path, error: error))
                printError("radlens: \(error)")
            }
        }
        switch format {
        case .text:
            for report in reports where report.error == nil {
                print(report.text)
                if let dicom = report.dicom {
                    for element in dicom.dataset {
                        print(String(repeating: "  ", count: element.depth + 1) + "\(element.tag) \(element.vr) [\(element.value)] # \(element.keyword)")
                    }
                }
            }
        case .json:
            print(try JSONOutput.string(reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports)))
        }
        if reports.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}

/// DICOM details in `inspect` output.
struct DICOMSection: Encodable {
    var metadata: DICOMMetadata
    /// Pixel statistics after the modality LUT.
    var statistics: DICOMStatistics?
    var dataset: [DICOMElementDescription]
}

/// What `inspect` reports for one file.
struct InspectReport: Encodable {
    struct Failure: Encodable {
        var kind: String
        var message: String
    }

    var path: String
    var format: String?
    var width: Int?
    var height: Int?
    var channels: Int?
    var bitDepth: Int?
    var significantBits: Int?
    var storedBitDepth: Int?
    var min: Int?
    var max: Int?
    var mean: Double?
    var dicom: DICOMSection?
    var error: Failure?

    init(image: Image, path: String) {
        let statistics = ImageStatistics(of: image)
        self.path = path
        format = image.source.format?.rawValue
        width = image.width
        height = image.height
        channels = image.channels
        bitDepth = image.bitDepth
        significantBits = image.significantBits
        storedBitDepth = image.source.storedBitDepth
        min = statistics.min
        max = statistics.max
        mean = (statistics.mean * 1000).rounded() / 1000
    }

    /// A DICOM object without pixel data (a structured report, for one).
    init(dicomDocumentAt path: String) {
        self.path = path
        format = "dicom"
    }

    init(path: String, error: DecodeError) {
        self.path = path
        self.error = Failure(kind: error.kind.rawValue, message: error.description)
    }

    var text: String {
        guard width != nil else { return "\(path): \(format ?? "?"), no pixel data (modality \(dicom?.metadata.modality ?? "?"))" }
        let channelNames = [1: "gray", 2: "gray+alpha", 3: "RGB", 4: "RGBA"]
        return """
            \(path): \(format ?? "?") \(width ?? 0)x\(height ?? 0) \(channelNames[channels ?? 0] ?? "?"), \
            \(bitDepth ?? 0)-bit samples (stored \(storedBitDepth ?? 0)-bit, \(significantBits ?? 0) significant), \
            min \(min ?? 0), max \(max ?? 0), mean \(String(format: "%.3f", mean ?? 0))
            """
    }
}
