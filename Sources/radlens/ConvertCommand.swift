import ArgumentParser
import Foundation
import RadLensImaging
import RadLensPipeline

/// `radlens convert`: decoded pixels of any input as PNG (the dcm2pnm of RadLens).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write the decoded pixels of a PNG, JPEG or DICOM file as PNG.",
        discussion: """
            By default the image as the pipeline sees it: for DICOM, the dataset's own window to 8 bits, \
            or its full modality range to 16 bits when it defines no window. --raw writes modality values \
            as 16-bit samples (signed values offset to unsigned; MONOCHROME1 inverted so bright = dense; \
            the offset is printed). --window CENTER,WIDTH applies a window to 8 bits.

            Examples:
              radlens convert study.dcm study.png
              radlens convert study.dcm raw.png --raw
              radlens convert ct.dcm lung.png --window -600,1500 --frame 2
            """)

    @Argument(help: "Input image.", completion: .file())
    var input: String

    @Argument(help: "Output PNG file.")
    var output: String

    @Option(help: "DICOM frame (0-based).")
    var frame: Int = 0

    @Flag(help: "DICOM modality values as 16-bit samples.")
    var raw = false

    @Option(help: "DICOM window as CENTER,WIDTH, to 8 bits.")
    var window: String?

    func run() throws {
        let bytes = try FileReader.read(input)
        let image: Image
        if try ImageDecoder.format(of: bytes, path: input) == .dicom {
            let dicom = try DICOMFile(bytes: bytes, path: input)
            var rendering = DICOMRendering.automatic
            if raw { rendering = .modality }
            if let window {
                let parts = window.split(separator: ",").compactMap { Double($0) }
                guard parts.count == 2, parts[1] > 0 else { throw ValidationError("--window takes CENTER,WIDTH with WIDTH > 0, e.g. 40,400") }
                rendering = .window(center: parts[0], width: parts[1])
            }
            let rendered = try dicom.render(frame: frame, rendering: rendering)
            if raw { print("sample s stands for modality value \(rendered.inverted ? "\(rendered.valueOrigin) - s" : "s + \(rendered.valueOrigin)")") }
            image = rendered.image
        } else {
            guard !raw, window == nil, frame == 0 else { throw ValidationError("--raw, --window and --frame apply to DICOM input only") }
            var decoded = Image()
            try ImageDecoder().decode(bytes, path: input, into: &decoded)
            image = decoded
        }
        try AtomicFile.write(Data(try PNGEncoder().encode(image)), to: output)
        print("\(input) -> \(output): \(image.width)x\(image.height), \(image.channels) channel(s), \(image.bitDepth)-bit")
    }
}
