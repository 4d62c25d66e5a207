// Decode throughput of RadLens on a set of files: MPixel/s at full size and with DCT scaling.
// Run through Benchmarks/decode_bench.py, which measures djpeg and Pillow in the same run.
//   radlens-decode-bench [--scale 1|2|4|8] [--repeat N] FILE...
import Foundation
import RadLensImaging

var arguments = Array(CommandLine.arguments.dropFirst())
var scale = JPEGScale.full
var repeats = 3
while let first = arguments.first, first.hasPrefix("--") {
    arguments.removeFirst()
    let value = arguments.removeFirst()
    switch first {
    case "--scale": scale = JPEGScale(rawValue: Int(value) ?? 1) ?? .full
    case "--repeat": repeats = Int(value) ?? 3
    default: fatalError("unknown option \(first)")
    }
}
let files = try arguments.map { path in (path, try FileReader.read(path)) }
let decoder = ImageDecoder(options: DecodeOptions(jpegScale: scale))
var image = Image()
var storedPixels = 0
let start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<repeats {
    for (path, bytes) in files {
        try decoder.decode(bytes, path: path, into: &image)
        storedPixels += image.source.storedWidth * image.source.storedHeight
    }
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print(String(format: "{\"files\": %d, \"seconds\": %.4f, \"storedMegapixelsPerSecond\": %.2f, \"scale\": %d}",
             files.count * repeats, seconds, Double(storedPixels) / seconds / 1e6, scale.rawValue))
