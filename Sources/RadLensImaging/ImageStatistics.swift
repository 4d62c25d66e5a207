/// Summary statistics of an image's samples (all channels together).
public struct ImageStatistics: Sendable, Equatable, Codable {
    public var min: Int
    public var max: Int
    public var mean: Double

    /// Computes min, max and mean of every sample in `image`.
    public init(of image: Image) {
        switch image.pixels {
        case .uint8(let samples): self.init(samples)
        case .uint16(let samples): self.init(samples)
        }
    }

    private init<T: FixedWidthInteger & UnsignedInteger>(_ samples: [T]) {
        guard !samples.isEmpty else {
            self.min = 0; self.max = 0; self.mean = 0
            return
        }
        var low = T.max, high = T.min, total: UInt64 = 0
        for sample in samples {
            low = Swift.min(low, sample)
            high = Swift.max(high, sample)
            total &+= UInt64(sample)
        }
        self.min = Int(low)
        self.max = Int(high)
        self.mean = Double(total) / Double(samples.count)
    }
}
