/// Step 3: separable antialiased bilinear (triangle filter) resize, horizontal pass first,
/// identical to PIL and `torch.nn.functional.interpolate(antialias=True, align_corners=False)`.
/// The aspect ratio is not kept: the image is squashed to the target size.
public final class AntialiasedResize {
    /// Filter taps for one axis: for each output index, the first input index and its weights.
    struct Taps {
        var starts: [Int]
        var counts: [Int]
        var weights: [Float]  // output i's weights at offsets i * maxTaps ..< i * maxTaps + counts[i]
        var maxTaps: Int

        init(input: Int, output: Int) {
            let scale = Double(input) / Double(output)
            let support = scale > 1 ? scale : 1
            let invScale = scale > 1 ? 1 / scale : 1
            maxTaps = Int((support * 2).rounded(.up)) + 2
            starts = []
            counts = []
            weights = [Float](repeating: 0, count: output * maxTaps)
            for i in 0..<output {
                let center = scale * (Double(i) + 0.5)
                let low = max(Int(center - support + 0.5), 0)
                let high = min(Int(center + support + 0.5), input)
                var row = (low..<high).map { j in max(0, 1 - abs((Double(j) - center + 0.5) * invScale)) }
                let total = row.reduce(0, +)
                if total > 0 { row = row.map { $0 / total } }
                starts.append(low)
                counts.append(row.count)
                for (k, w) in row.enumerated() { weights[i * maxTaps + k] = Float(w) }
            }
        }
    }

    public let width: Int
    public let height: Int
    private var horizontal: [Int: Taps] = [:]
    private var vertical: [Int: Taps] = [:]
    private var intermediate: [Float] = []

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Resizes a [inputHeight, inputWidth] plane into `output` ([height, width]).
    public func apply(_ input: UnsafePointer<Float>, inputWidth: Int, inputHeight: Int, into output: UnsafeMutablePointer<Float>) {
        if horizontal[inputWidth] == nil { horizontal[inputWidth] = Taps(input: inputWidth, output: width) }
        if vertical[inputHeight] == nil { vertical[inputHeight] = Taps(input: inputHeight, output: height) }
        let h = horizontal[inputWidth]!, v = vertical[inputHeight]!
        if intermediate.count < inputHeight * width { intermediate = [Float](repeating: 0, count: inputHeight * width) }
        intermediate.withUnsafeMutableBufferPointer { buffer in
            let temporary = buffer.baseAddress!
            // Horizontal: every input row to `width` columns.
            for y in 0..<inputHeight {
                let row = input + y * inputWidth, out = temporary + y * width
                for x in 0..<width {
                    let start = h.starts[x], taps = h.counts[x]
                    var sum: Float = 0
                    h.weights.withUnsafeBufferPointer { w in
                        let weights = w.baseAddress! + x * h.maxTaps
                        for k in 0..<taps { sum += row[start + k] * weights[k] }
                    }
                    out[x] = sum
                }
            }
            // Vertical: weighted sums of whole intermediate rows.
            for y in 0..<height {
                let out = output + y * width
                out.update(repeating: 0, count: width)
                let start = v.starts[y], taps = v.counts[y]
                for k in 0..<taps {
                    let weight = v.weights[y * v.maxTaps + k]
                    let row = temporary + (start + k) * width
                    for x in 0..<width { out[x] += weight * row[x] }
                }
            }
        }
    }
}
