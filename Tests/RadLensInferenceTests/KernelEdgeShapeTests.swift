import Foundation
@testable import RadLensInference
import RadLensTestSupport
import Testing

/// Every kernel level's convolutions (direct, depthwise, grouped GEMM, the plain-input stem,
/// 1x1, with fused ReLU and residual Add) against a plain double-precision convolution written
/// here, on the shapes where register tiles break: channel counts one either side of the
/// vector width, maps narrower than a tile, one-pixel rows, strides, dilation and padding
/// wider than the kernel's reach. A level this CPU cannot run is reported as skipped.
@Suite struct KernelEdgeShapeTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var batch = 1
        var inputChannels: Int
        var outputChannels: Int
        var height: Int
        var width: Int
        var kernel = (3, 3)
        var stride = (1, 1)
        var pads = (1, 1)
        var dilation = (1, 1)
        var groups = 1
        var relu = false
        var residual = false
        var testDescription: String {
            "\(batch)x\(inputChannels)x\(height)x\(width) -> \(outputChannels), k\(kernel.0)x\(kernel.1) s\(stride.0)x\(stride.1) p\(pads.0)x\(pads.1) d\(dilation.0)x\(dilation.1) g\(groups)\(relu ? " relu" : "")\(residual ? " +residual" : "")"
        }
        var outputHeight: Int { (height + 2 * pads.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1 }
        var outputWidth: Int { (width + 2 * pads.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1 }
    }

    /// Tile edges at 8 (AVX2, generic) and 16 (AVX-512) lanes, and at 4, 6, 8 and 12 pixels.
    static let shapes: [Shape] = [
        Shape(inputChannels: 1, outputChannels: 7, height: 13, width: 11),                             // plain-input stem
        Shape(inputChannels: 3, outputChannels: 17, height: 9, width: 14, kernel: (7, 7), stride: (2, 2), pads: (3, 3), relu: true),
        // A plain input dilated across: single-channel taps, border columns skipping kernel columns.
        Shape(inputChannels: 2, outputChannels: 16, height: 9, width: 12, dilation: (1, 2), relu: true),
        Shape(inputChannels: 8, outputChannels: 8, height: 6, width: 6, relu: true, residual: true),
        Shape(inputChannels: 9, outputChannels: 15, height: 5, width: 13),
        Shape(inputChannels: 16, outputChannels: 16, height: 12, width: 12, residual: true),
        Shape(inputChannels: 17, outputChannels: 33, height: 7, width: 7, relu: true),
        Shape(batch: 3, inputChannels: 24, outputChannels: 40, height: 4, width: 25),
        Shape(inputChannels: 32, outputChannels: 48, height: 1, width: 1),                              // 1x1 map, 3x3 kernel
        Shape(inputChannels: 16, outputChannels: 24, height: 2, width: 31, kernel: (1, 1), pads: (0, 0)),
        Shape(inputChannels: 20, outputChannels: 12, height: 11, width: 3, kernel: (3, 1), pads: (1, 0)),
        Shape(inputChannels: 8, outputChannels: 9, height: 10, width: 10, dilation: (2, 2), relu: true),
        Shape(inputChannels: 12, outputChannels: 8, height: 9, width: 8, kernel: (5, 5), stride: (2, 1), pads: (2, 2)),
        // Whole 8-channel blocks at stride 2: border rows and columns run lists of taps.
        Shape(inputChannels: 16, outputChannels: 24, height: 11, width: 21, stride: (2, 2), relu: true),
        Shape(inputChannels: 6, outputChannels: 10, height: 3, width: 3, pads: (3, 3)),                 // padding past the kernel
        Shape(inputChannels: 17, outputChannels: 17, height: 9, width: 7, groups: 17, relu: true),      // depthwise
        Shape(batch: 2, inputChannels: 32, outputChannels: 32, height: 8, width: 5, stride: (2, 2), groups: 32),
        Shape(inputChannels: 24, outputChannels: 24, height: 5, width: 17, groups: 24, relu: true, residual: true), // rows of 6, 6, 5
        Shape(inputChannels: 8, outputChannels: 8, height: 4, width: 2, groups: 8),                     // depthwise, 2-pixel rows
        Shape(inputChannels: 12, outputChannels: 18, height: 6, width: 9, groups: 3),                   // grouped GEMM
        // Inputs larger than a pass (`ExecutionPlan.passInputBytes`): rows, and a pointwise
        // convolution's pixels, run in passes over every group of output blocks.
        Shape(batch: 4, inputChannels: 64, outputChannels: 40, height: 20, width: 29, relu: true, residual: true),
        Shape(batch: 4, inputChannels: 256, outputChannels: 24, height: 13, width: 13, kernel: (1, 1), pads: (0, 0), residual: true),
    ]

    @Test(arguments: KernelLevel.allCases, shapes)
    func convolutionMatchesAPlainReference(_ level: KernelLevel, _ shape: Shape) throws {
        guard level.isSupported else { try Test.cancel("this CPU cannot run the \(level.rawValue) kernels") }
        // Seeded by the shape's description (FNV-1a; String.hashValue changes between runs).
        var random = SplitMix(state: shape.testDescription.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(Double(random.next() % 2001) / 1000 - 1) } }
        let inputCount = shape.batch * shape.inputChannels * shape.height * shape.width
        let outputShape = [shape.batch, shape.outputChannels, shape.outputHeight, shape.outputWidth]
        let perGroup = shape.inputChannels / shape.groups
        let input = values(inputCount)
        let weights = values(shape.outputChannels * perGroup * shape.kernel.0 * shape.kernel.1)
        let bias = values(shape.outputChannels)
        let residual = values(outputShape.reduce(1, *))

        var nodes = [Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: [
            "kernel_shape": .ints([shape.kernel.0, shape.kernel.1]), "strides": .ints([shape.stride.0, shape.stride.1]),
            "pads": .ints([shape.pads.0, shape.pads.1, shape.pads.0, shape.pads.1]),
            "dilations": .ints([shape.dilation.0, shape.dilation.1]), "group": .int(shape.groups)])]
        var last = "c"
        var constants: [String: Constant] = [
            "w": .float(Tensor(shape: [shape.outputChannels, perGroup, shape.kernel.0, shape.kernel.1], data: weights)),
            "b": .float(Tensor(shape: [shape.outputChannels], data: bias))]
        if shape.residual {
            constants["r"] = .float(Tensor(shape: outputShape, data: residual))
            nodes.append(Node(name: "add", opType: "Add", inputs: [last, "r"], outputs: ["a"], attributes: [:]))
            last = "a"
        }
        if shape.relu {
            nodes.append(Node(name: "relu", opType: "Relu", inputs: [last], outputs: ["y"], attributes: [:]))
            last = "y"
        }
        let definition = ModelDefinition(opset: 17, producer: "KernelEdgeShapeTests", nodes: nodes, constants: constants,
                                         inputs: [TensorInfo(name: "x", shape: [shape.batch, shape.inputChannels, shape.height, shape.width])],
                                         outputs: [TensorInfo(name: last, shape: outputShape.map { $0 })])
        let session = try InferenceSession(definition: definition, options: SessionOptions(threads: 2, kernelLevel: level), path: nil)
        let got = try #require(try session.run(Tensor(shape: [shape.batch, shape.inputChannels, shape.height, shape.width], data: input))[last])
        #expect(got.shape == outputShape)

        // The reference: a plain convolution in double precision.
        var largest = 0.0, scale = 1.0
        let (oh, ow) = (shape.outputHeight, shape.outputWidth)
        for n in 0..<shape.batch {
            for m in 0..<shape.outputChannels {
                let group = m / (shape.outputChannels / shape.groups)
                for y in 0..<oh {
                    for x in 0..<ow {
                        var sum = Double(bias[m])
                        for c in 0..<perGroup {
                            let channel = group * perGroup + c
                            for ky in 0..<shape.kernel.0 {
                                let iy = y * shape.stride.0 - shape.pads.0 + ky * shape.dilation.0
                                guard (0..<shape.height).contains(iy) else { continue }
                                for kx in 0..<shape.kernel.1 {
                                    let ix = x * shape.stride.1 - shape.pads.1 + kx * shape.dilation.1
                                    guard (0..<shape.width).contains(ix) else { continue }
                                    let w = weights[((m * perGroup + c) * shape.kernel.0 + ky) * shape.kernel.1 + kx]
                                    sum += Double(w) * Double(input[((n * shape.inputChannels + channel) * shape.height + iy) * shape.width + ix])
                                }
                            }
                        }
                        let index = ((n * shape.outputChannels + m) * oh + y) * ow + x
                        if shape.residual { sum += Double(residual[index]) }
                        if shape.relu { sum = max(sum, 0) }
                        largest = max(largest, abs(sum - Double(got.data[index])))
                        scale = max(scale, abs(sum))
                    }
                }
            }
        }
        // fp32 accumulation over at most 32 x 49 products of values in [-1, 1].
        #expect(largest <= 1e-4 * scale, "\(level.rawValue) \(shape.testDescription): largest |Δ| \(largest)")
    }
}
