import Foundation
@testable import RadLensInference
import RadLensTestSupport
import Testing

/// The planner's passes, each on its own, on the engine fixtures (real architectures):
/// shape inference against ONNX Runtime's output shapes, and memory planning's promise that
/// values alive at the same time never share memory.
@Suite struct PlannerPassTests {
    static let folder = TestPaths.fixture("models")
    static let cases = ["resnet18-c1.b8", "densenet121-c1.b1", "mobilenet_v2-c3.b8", "grouped_cnn-c1.b1", "border_cnn-c1.b8", "small_cnn-c1.b1"]

    static func session(_ name: String) throws -> (InferenceSession, Tensor, Tensor) {
        let model = String(name.split(separator: ".")[0])
        let session = try InferenceSession(contentsOf: folder.appendingPathComponent("\(model).onnx").path, options: SessionOptions(threads: 2))
        let input = try NumPyFile.read(contentsOf: folder.appendingPathComponent("\(name).input.npy").path)
        let output = try NumPyFile.read(contentsOf: folder.appendingPathComponent("\(name).output.npy").path)
        return (session, input, output)
    }

    @Test(arguments: cases)
    func shapeInferenceGivesONNXRuntimesOutputShape(_ name: String) throws {
        let (session, input, output) = try Self.session(name)
        let shapes = try ShapeInference.shapes(of: session.graph, inputShapes: [session.inputs[0].name: input.shape])
        #expect(shapes[session.outputs[0].name] == output.shape)
    }

    @Test(arguments: cases)
    func valuesAliveAtOnceNeverShareMemory(_ name: String) throws {
        let (session, input, _) = try Self.session(name)
        let plan = try session.plan(for: [session.inputs[0].name: input.shape])
        let steps = plan.layout.steps
        var produced: [String: Int] = [:], lastRead: [String: Int] = [:]
        for name in plan.inputShapes.keys { produced[name] = -1 }
        for (index, step) in steps.enumerated() {
            for value in step.layer.inputs { lastRead[value] = index }
            produced[step.layer.output] = index
        }
        let outputs = Set(plan.layout.outputSources)
        /// The bytes a value's buffer spans (a zero-bordered output: its whole padded buffer).
        func span(_ value: String) -> Range<Int> {
            let start = Int(bitPattern: plan.pointers[value]!)
            guard let padding = plan.paddedOutputs[value] else { return start..<start + plan.storedCount(value) * 4 }
            let shape = plan.shapes[value]!, lanes = plan.layout.lanes
            let blocks = (shape[1] + lanes - 1) / lanes
            return start..<start + shape[0] * blocks * padding.paddedHeight * padding.paddedWidth * lanes * 4
        }
        /// The value a reshape chain starts from (a reshape aliases its input).
        func root(_ value: String) -> String {
            guard let producer = produced[value], producer >= 0, case .reshape = steps[producer].layer.kind else { return value }
            return root(steps[producer].layer.inputs[0])
        }
        /// Lifetimes: from the producing step to the last read (graph outputs: to the end).
        func life(_ value: String) -> ClosedRange<Int> {
            produced[value]!...(outputs.contains(value) ? steps.count : max(lastRead[value] ?? produced[value]!, produced[value]!))
        }
        /// An elementwise layer may write over its input when that input dies there.
        func writesOver(_ later: String, _ earlier: String) -> Bool {
            guard let producer = produced[later], producer >= 0 else { return false }
            let layer = steps[producer].layer
            switch layer.kind {
            case .channelAffine, .activation: return root(layer.inputs[0]) == root(earlier) && life(earlier).upperBound == producer
            default: return false
            }
        }
        let values = produced.keys.filter { plan.pointers[$0] != nil && session.graph.constants[$0] == nil }.sorted()
        var checked = 0
        for a in values {
            for b in values where a < b && root(a) != root(b) {
                let (la, lb) = (life(a), life(b))
                guard la.overlaps(lb), !writesOver(a, b), !writesOver(b, a) else { continue }
                checked += 1
                #expect(!span(a).overlaps(span(b)), "\(name): \(a) (steps \(la)) and \(b) (steps \(lb)) share memory")
            }
        }
        #expect(checked > 0, "\(name): no pair of values alive at once was checked")
    }
}
