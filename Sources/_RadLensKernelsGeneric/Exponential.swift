// Vector exp and sigmoid, compiled per instruction-set level (symlinked like Kernels.swift).
import RadLensKernels

extension Kernels {
    /// e^x lane by lane, within 2 ulp of `expf` on [-87, 88] (Cephes' single-precision
    /// method): x = n ln 2 + r with |r| <= ln 2 / 2, e^r by a degree-6 polynomial, 2^n built
    /// in the exponent bits. Inputs beyond the range saturate to 0 and to e^88.7.
    @_transparent
    static func exponential(_ x: Vector) -> Vector {
        let clamped = minimum(maximum(x, Vector(repeating: -87.3)), Vector(repeating: 88.7))
        // Round to the nearest integer by adding 1.5 x 2^23: the sum's low mantissa bits are n.
        let magic = Vector(repeating: 12582912)
        let shifted = clamped * 1.44269504088896341 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693359375
        r = r + n * 2.12194440e-4
        var p = Vector(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: IntVector.self) &- unsafeBitCast(magic, to: IntVector.self)
        let exponent = (integer &+ 127) &<< 23
        return er * unsafeBitCast(exponent, to: Vector.self)
    }

    /// 1 / (1 + e^-x).
    @_transparent
    static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exponential(-x))
    }

    public static func activate(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int, activation: Activation) {
        let lanes = Vector.scalarCount
        var i = 0
        while i + lanes <= count {
            storeVector(activate(load(input + i), activation), output + i)
            i += lanes
        }
        while i < count {
            output[i] = activation.apply(input[i])
            i += 1
        }
    }
}
