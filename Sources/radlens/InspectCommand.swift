import ArgumentParser
import Foundation
import RadLensImaging

/// `radlens inspect`: what an image file holds, without running a model.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show format, size, channels, bit depth and sample range of image files.",
        discussion: """
            The format is recognised from the file's content, not its extension. A file that cannot \
            be decoded is reported with the reason; the others are still inspected, and the exit \
            status is 1.

            Examples:
              radlens inspect SampleImages/chest-pa.png
              radlens inspect a.jpeg b.png --format json
            """
    )

    @Argument(help: "Image files (PNG or JPEG).", completion: .file())
    var files: [String]

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Refuse images larger than this many megapixels.")
    var maxMegapixels: Int = 200

    func run() throws {
        let decoder = ImageDecoder(options: DecodeOptions(limits: DecodeLimits(maxPixels: maxMegapixels * 1_000_000)))
        var reports: [InspectReport] = []
        var image = Image()
        for path in files {
            do {
                try decoder.decode(contentsOf: path, into: &image)
                reports.append(InspectReport(image: image, path: path))
            } catch {
                reports.append(InspectReport(path: path, error: error))
                if format == .text { printError("radlens: \(error)") }
            }
        }
        switch format {
        case .text:
            for report in reports where report.error == nil { print(report.text) }
        case .json:
            print(try JSONOutput.string(reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports)))
        }
        if reports.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
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

    init(path: String, error: DecodeError) {
        self.path = path
        self.error = Failure(kind: error.kind.rawValue, message: error.description)
    }

    var text: String {
        let channelNames = [1: "gray", 2: "gray+alpha", 3: "RGB", 4: "RGBA"]
        return """
            \(path): \(format ?? "?") \(width ?? 0)x\(height ?? 0) \(channelNames[channels ?? 0] ?? "?"), \
            \(bitDepth ?? 0)-bit samples (stored \(storedBitDepth ?? 0)-bit, \(significantBits ?? 0) significant), \
            min \(min ?? 0), max \(max ?? 0), mean \(String(format: "%.3f", mean ?? 0))
            """
    }
}
