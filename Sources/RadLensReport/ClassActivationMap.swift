import RadLensImaging

/// Where the model looked: the final linear layer's weights applied to the last convolutional
/// feature map (Zhou et al. 2016), kept where positive and scaled to [0, 1].
public struct ClassActivationMap: Sendable {
    /// Feature-map resolution.
    public let width: Int
    public let height: Int
    /// Row-major values in [0, 1].
    public let values: [Float]

    /// - Parameters: `featureMap` is [C, height, width] row-major; `weights` has C values.
    public init?(featureMap: [Float], channels: Int, height: Int, width: Int, weights: [Float]) {
        guard channels == weights.count, featureMap.count == channels * height * width, height > 0, width > 0 else { return nil }
        let plane = height * width
        var map = [Float](repeating: 0, count: plane)
        for c in 0..<channels {
            let w = weights[c]
            for i in 0..<plane { map[i] += w * featureMap[c * plane + i] }
        }
        let peak = map.max() ?? 0
        values = peak > 0 ? map.map { max($0, 0) / peak } : map.map { _ in 0 }
        self.width = width
        self.height = height
    }

    /// The map value at fractional position (x, y) in [0, 1]², bilinearly interpolated.
    func sample(x: Float, y: Float) -> Float {
        let fx = min(max(x * Float(width) - 0.5, 0), Float(width - 1))
        let fy = min(max(y * Float(height) - 0.5, 0), Float(height - 1))
        let x0 = Int(fx), y0 = Int(fy)
        let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
        let ax = fx - Float(x0), ay = fy - Float(y0)
        let top = values[y0 * width + x0] * (1 - ax) + values[y0 * width + x1] * ax
        let bottom = values[y1 * width + x0] * (1 - ax) + values[y1 * width + x1] * ax
        return top * (1 - ay) + bottom * ay
    }

    /// The zone (upper/middle/lower third) and side (image left/right/both) holding most of the
    /// activation above half its peak.
    public func attention() -> AnalysisReport.Attention {
        var zones = [Float](repeating: 0, count: 3), sides = [Float](repeating: 0, count: 2)
        let samples = 48
        for j in 0..<samples {
            for i in 0..<samples {
                let x = (Float(i) + 0.5) / Float(samples), y = (Float(j) + 0.5) / Float(samples)
                let v = sample(x: x, y: y)
                guard v >= 0.5 else { continue }
                zones[min(Int(y * 3), 2)] += v
                sides[x < 0.5 ? 0 : 1] += v
            }
        }
        let zone = ["upper", "middle", "lower"][zones.indices.max { zones[$0] < zones[$1] }!]
        let total = sides[0] + sides[1]
        let side = total == 0 || min(sides[0], sides[1]) >= 0.35 * total ? "both" : (sides[0] > sides[1] ? "left" : "right")
        return AnalysisReport.Attention(zone: zone, side: side)
    }

    /// An RGB overlay of the map (blue to red) on `display`, a gray 8-bit image.
    public func overlay(on display: Image) -> Image {
        var rgb = [UInt8](repeating: 0, count: display.pixelCount * 3)
        for y in 0..<display.height {
            for x in 0..<display.width {
                let gray = Float(display.pixels[y * display.width + x])
                let t = sample(x: (Float(x) + 0.5) / Float(display.width), y: (Float(y) + 0.5) / Float(display.height))
                let color = (Self.channel(t, 3), Self.channel(t, 2), Self.channel(t, 1))
                let alpha = 0.55 * t
                let o = (y * display.width + x) * 3
                rgb[o] = UInt8(gray * (1 - alpha) + color.0 * 255 * alpha)
                rgb[o + 1] = UInt8(gray * (1 - alpha) + color.1 * 255 * alpha)
                rgb[o + 2] = UInt8(gray * (1 - alpha) + color.2 * 255 * alpha)
            }
        }
        return Image(width: display.width, height: display.height, channels: 3, pixels: .uint8(rgb), source: display.source)
    }

    /// The "jet" colour map: channel centred at `centre` quarter of the range.
    private static func channel(_ t: Float, _ centre: Float) -> Float {
        min(max(1.5 - abs(4 * t - centre), 0), 1)
    }
}

/// A gray 8-bit copy of an image no larger than `maxSide`, for previews (box-filtered).
public func displayImage(_ image: Image, maxSide: Int = 512) -> Image {
    let step = max(1, (max(image.width, image.height) + maxSide - 1) / maxSide)
    switch image.pixels {
    case .uint8(let samples): return samples.withUnsafeBufferPointer { boxFiltered(image, $0, step: step, box: step, offset: 0) }
    case .uint16(let samples): return samples.withUnsafeBufferPointer { boxFiltered(image, $0, step: step, box: step, offset: 0) }
    }
}

/// A gray 8-bit thumbnail no larger than `maxSide`, sampled at the centre of each cell (no
/// filtering: cheap enough to make for every input of a batch).
public func thumbnailImage(_ image: Image, maxSide: Int) -> Image {
    let step = max(1, (max(image.width, image.height) + maxSide - 1) / maxSide)
    switch image.pixels {
    case .uint8(let samples): return samples.withUnsafeBufferPointer { boxFiltered(image, $0, step: step, box: 1, offset: step / 2) }
    case .uint16(let samples): return samples.withUnsafeBufferPointer { boxFiltered(image, $0, step: step, box: 1, offset: step / 2) }
    }
}

/// Gray cells of `step` x `step` pixels, each the mean of the `box` x `box` pixels from `offset`.
private func boxFiltered<Sample: BinaryInteger>(_ image: Image, _ samples: UnsafeBufferPointer<Sample>, step: Int, box: Int, offset: Int) -> Image {
    let width = image.width / step, height = image.height / step
    let maximum = Float((1 << image.significantBits) - 1), area = Float(box * box)
    let channels = image.channels
    var gray = [UInt8](repeating: 0, count: width * height)
    for y in 0..<height {
        for x in 0..<width {
            var sum: Float = 0
            for dy in 0..<box {
                var index = ((y * step + offset + dy) * image.width + x * step + offset) * channels
                for _ in 0..<box {
                    if channels >= 3 {
                        sum += 0.299 * Float(samples[index]) + 0.587 * Float(samples[index + 1]) + 0.114 * Float(samples[index + 2])
                    } else {
                        sum += Float(samples[index])
                    }
                    index += channels
                }
            }
            gray[y * width + x] = UInt8(min(max(sum / area / maximum * 255, 0), 255).rounded())
        }
    }
    return Image(width: max(width, 1), height: max(height, 1), channels: 1, pixels: .uint8(gray.isEmpty ? [0] : gray), source: image.source)
}
