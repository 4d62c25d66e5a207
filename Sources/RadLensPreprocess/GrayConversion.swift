import RadLensImaging

/// Steps 1 and 2: one gray channel scaled to [0, 1].
///
/// RGB(A) uses the luma weights, computed as (wr*R + wg*G) + wb*B in float like the Python
/// reference; alpha is dropped. Samples are divided by 2^significantBits - 1, so a 12-bit
/// radiograph in a 16-bit PNG with an sBIT chunk still spans [0, 1].
public struct GrayConversion: Sendable {
    public var weights: (r: Float, g: Float, b: Float)

    public init(weights: [Float]) {
        self.weights = (weights[0], weights[1], weights[2])
    }

    /// Writes the rows `rows` of the image, width floats each, to `output`.
    public func apply(_ image: Image, rows: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        let maximum = Float((1 << image.significantBits) - 1)
        let first = rows.lowerBound * image.width * image.channels, count = rows.count * image.width
        switch image.pixels {
        case .uint8(let samples): samples.withUnsafeBufferPointer { convert($0.baseAddress! + first, count, image.channels, maximum, output) }
        case .uint16(let samples): samples.withUnsafeBufferPointer { convert($0.baseAddress! + first, count, image.channels, maximum, output) }
        }
    }

    private func convert<T: BinaryInteger>(_ samples: UnsafePointer<T>, _ count: Int, _ channels: Int, _ maximum: Float,
                                           _ output: UnsafeMutablePointer<Float>) {
        if channels <= 2 && T.self == UInt8.self {
            // 256 quotients, each computed as below: the same floats without a division per pixel.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { table in
                for value in 0..<256 { table[value] = Float(value) / maximum }
                let bytes = UnsafeRawPointer(samples).assumingMemoryBound(to: UInt8.self)
                for i in 0..<count { output[i] = table[Int(bytes[i * channels])] }
            }
        } else if channels == 1 {
            for i in 0..<count { output[i] = Float(samples[i]) / maximum }
        } else if channels == 2 {
            for i in 0..<count { output[i] = Float(samples[i * 2]) / maximum }
        } else {
            let (wr, wg, wb) = weights
            for i in 0..<count {
                let p = samples + i * channels
                let gray = (wr * Float(p[0]) + wg * Float(p[1])) + wb * Float(p[2])
                output[i] = gray / maximum
            }
        }
    }
}
