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
    private var rowBlock: [Float] = []
    /// Input rows fetched at a time from a row source.
    static let blockRows = 8

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// One row to `width` columns.
    private func horizontalPass(row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, starts: UnsafePointer<Int>,
                                counts: UnsafePointer<Int>, weights: UnsafePointer<Float>, maxTaps: Int) {
        var x = 0
        while x + 4 <= width {
            let r0 = row + starts[x], r1 = row + starts[x + 1], r2 = row + starts[x + 2], r3 = row + starts[x + 3]
            let w0 = weights + x * maxTaps, w1 = w0 + maxTaps, w2 = w1 + maxTaps, w3 = w2 + maxTaps
            let c0 = counts[x], c1 = counts[x + 1], c2 = counts[x + 2], c3 = counts[x + 3]
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            let common = min(min(c0, c1), min(c2, c3))
            for k in 0..<common {
                s0 += r0[k] * w0[k]
                s1 += r1[k] * w1[k]
                s2 += r2[k] * w2[k]
                s3 += r3[k] * w3[k]
            }
            for k in common..<c0 { s0 += r0[k] * w0[k] }
            for k in common..<c1 { s1 += r1[k] * w1[k] }
            for k in common..<c2 { s2 += r2[k] * w2[k] }
            for k in common..<c3 { s3 += r3[k] * w3[k] }
            out[x] = s0
            out[x + 1] = s1
            out[x + 2] = s2
            out[x + 3] = s3
            x += 4
        }
        while x < width {
            let r = row + starts[x], w = weights + x * maxTaps
            var sum: Float = 0
            for k in 0..<counts[x] { sum += r[k] * w[k] }
            out[x] = sum
            x += 1
        }
    }

    /// Resizes an image of inputHeight rows of inputWidth floats into `output` ([height, width]),
    /// fetching its rows a few at a time: `rows(range, block)` writes those rows into `block`
    /// (room for `blockRows` rows). A source converted on the fly then needs no whole-image
    /// plane, whose fresh pages would each fault in.
    public func apply(inputWidth: Int, inputHeight: Int, into output: UnsafeMutablePointer<Float>,
                      rows: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        if horizontal[inputWidth] == nil { horizontal[inputWidth] = Taps(input: inputWidth, output: width) }
        if vertical[inputHeight] == nil { vertical[inputHeight] = Taps(input: inputHeight, output: height) }
        let h = horizontal[inputWidth]!, v = vertical[inputHeight]!
        if intermediate.count < inputHeight * width { intermediate = [Float](repeating: 0, count: inputHeight * width) }
        if rowBlock.count < Self.blockRows * inputWidth { rowBlock = [Float](repeating: 0, count: Self.blockRows * inputWidth) }
        intermediate.withUnsafeMutableBufferPointer { buffer in
            let temporary = buffer.baseAddress!
            // Horizontal: every input row to `width` columns. Four columns at a time, each
            // summed in tap order as alone, so their additions overlap rather than wait on one
            // another.
            h.starts.withUnsafeBufferPointer { starts in
                h.counts.withUnsafeBufferPointer { counts in
                    h.weights.withUnsafeBufferPointer { weights in
                        rowBlock.withUnsafeMutableBufferPointer { block in
                            for first in stride(from: 0, to: inputHeight, by: Self.blockRows) {
                                let range = first..<min(first + Self.blockRows, inputHeight)
                                rows(range, block.baseAddress!)
                                for y in range {
                                    horizontalPass(row: block.baseAddress! + (y - first) * inputWidth,
                                                   into: temporary + y * width,
                                                   starts: starts.baseAddress!, counts: counts.baseAddress!,
                                                   weights: weights.baseAddress!, maxTaps: h.maxTaps)
                                }
                            }
                        }
                    }
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
