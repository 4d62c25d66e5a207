import Foundation

/// Distance of a feature vector from the training distribution (Mahalanobis, shared covariance).
public struct Mahalanobis: Sendable {
    public let mean: [Float]
    /// Inverse covariance, row-major C x C float32 values in native byte order (usually a slice
    /// of the bundle's memory-mapped .npy file, not a copy).
    private let precision: Data
    public let threshold: Float

    /// `precisionValues`: the C x C matrix's float32 bytes (see `NumPyFile.float32Values`).
    public init?(mean: [Float], precisionValues: Data, threshold: Float) {
        guard !mean.isEmpty, precisionValues.count == mean.count * mean.count * MemoryLayout<Float>.size else { return nil }
        self.mean = mean
        self.precision = precisionValues
        self.threshold = threshold
    }

    /// sqrt((f - mean)ᵀ precision (f - mean)), or infinity when the feature count is wrong.
    /// Sums in Double, eight products at a time (a 576-feature model: 0.05 ms, not 0.8).
    public func distance(_ features: [Float]) -> Float {
        let c = mean.count
        guard features.count == c else { return .infinity }
        let centered = (0..<c).map { Double(features[$0] - mean[$0]) }
        var squared = 0.0
        precision.withUnsafeBytes { precision in
            centered.withUnsafeBufferPointer { centered in
                let vectors = c / 8 * 8
                for i in 0..<c {
                    let row = i * c * MemoryLayout<Float>.size
                    var low = SIMD4<Double>(), high = SIMD4<Double>()
                    for j in stride(from: 0, to: vectors, by: 8) {
                        let weights = precision.loadUnaligned(fromByteOffset: row + j * MemoryLayout<Float>.size, as: SIMD8<Float>.self)
                        let x = UnsafeRawPointer(centered.baseAddress! + j)
                        // Multiply and add, not addProduct: this module has no FMA target, where
                        // addProduct would call the C library's fma for every lane.
                        low += SIMD4<Double>(weights.lowHalf) * x.loadUnaligned(as: SIMD4<Double>.self)
                        high += SIMD4<Double>(weights.highHalf) * x.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
                    }
                    var sum = (low + high).sum()
                    for j in vectors..<c {
                        sum += Double(precision.loadUnaligned(fromByteOffset: row + j * MemoryLayout<Float>.size, as: Float.self)) * centered[j]
                    }
                    squared += centered[i] * sum
                }
            }
        }
        return Float(max(squared, 0).squareRoot())
    }
}
