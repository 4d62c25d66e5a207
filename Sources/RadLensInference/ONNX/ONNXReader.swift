import Foundation
import SwiftProtobuf

/// A model as read from an ONNX file, before any optimisation.
struct ModelDefinition: Sendable {
    var opset: Int
    var producer: String
    var nodes: [Node]
    var constants: [String: Constant]
    var inputs: [TensorInfo]
    var outputs: [TensorInfo]
}

/// Reads ONNX protobuf files (through apple/swift-protobuf and the generated onnx.pb.swift).
enum ONNXReader {
    /// The default-domain opsets RadLens implements.
    static let supportedOpsets = 7...23

    static func read(contentsOf path: String) throws(InferenceError) -> ModelDefinition {
        let data: Data
        do {
            // Mapped, not read: the weights are converted once, straight from the page cache.
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw InferenceError(.invalidModel, "\(path): cannot read model file (\(error.localizedDescription))")
        }
        do {
            return try read(data)
        } catch {
            throw InferenceError(error.kind, "\(path): \(error.message)")
        }
    }

    /// With `skippingConvolutionWeights`, the float32 raw_data initializers read only as Conv
    /// weights are checked for size but not converted (`Constant.unread`): their packed form
    /// comes from a `PackedWeightCache` file.
    static func read(_ data: Data, skippingConvolutionWeights: Bool = false) throws(InferenceError) -> ModelDefinition {
        guard !data.isEmpty else { throw InferenceError(.invalidModel, "model file is empty") }
        let result = data.withUnsafeBytes { file in
            Result { () throws(InferenceError) in try read(file, skippingConvolutionWeights: skippingConvolutionWeights) }
        }
        return try result.get()
    }

    /// Decodes the skeleton (`ONNXSkeleton`) and converts the weights from `file`'s bytes; a file
    /// that is not well-formed protobuf is decoded whole, for swift-protobuf's error.
    private static func read(_ file: UnsafeRawBufferPointer, skippingConvolutionWeights: Bool) throws(InferenceError) -> ModelDefinition {
        let skeleton = ONNXSkeleton(file)
        let model: Onnx_ModelProto
        do {
            model = try skeleton.map { try Onnx_ModelProto(serializedBytes: $0.bytes) } ?? Onnx_ModelProto(serializedBytes: Array(file))
        } catch {
            throw InferenceError(.invalidModel, "not a valid ONNX model (protobuf decoding failed: \(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw InferenceError(.invalidModel, "not a valid ONNX model (no graph)")
        }
        let defaultDomain = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = defaultDomain.map({ Int($0.version) }) else {
            throw InferenceError(.invalidModel, "model declares no opset for the default ONNX domain")
        }
        guard supportedOpsets.contains(opset) else {
            throw InferenceError(.unsupported, "opset \(opset) is not supported (RadLens implements opsets \(supportedOpsets.lowerBound) to \(supportedOpsets.upperBound))")
        }
        let graph = model.graph
        var constants: [String: Constant] = [:]
        if let skeleton, skeleton.rawData.count != graph.initializer.count {
            throw InferenceError(.invalidModel, "not a valid ONNX model (its initializers could not be located)")
        }
        let unread = skippingConvolutionWeights ? convolutionOnlyWeights(graph) : []
        for (index, initializer) in graph.initializer.enumerated() {
            if let range = skeleton?.rawData[index] {
                constants[initializer.name] = try constant(from: initializer, name: initializer.name,
                                                           rawData: UnsafeRawBufferPointer(rebasing: file[range]),
                                                           readingValues: !unread.contains(initializer.name))
            } else {
                constants[initializer.name] = try constant(from: initializer, name: initializer.name)
            }
        }
        var nodes: [Node] = []
        for (index, proto) in graph.node.enumerated() {
            if !proto.domain.isEmpty && proto.domain != "ai.onnx" {
                throw InferenceError(.unsupported, "\(proto.opType) node \"\(proto.name)\": operator domain \"\(proto.domain)\" is not supported")
            }
            var attributes: [String: AttributeValue] = [:]
            for attribute in proto.attribute {
                attributes[attribute.name] = try value(of: attribute, node: proto)
            }
            nodes.append(Node(name: proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name,
                              opType: proto.opType, inputs: proto.input, outputs: proto.output, attributes: attributes))
        }
        let inputs = graph.input.filter { constants[$0.name] == nil }.map(info)
        let outputs = graph.output.map(info)
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw InferenceError(.invalidModel, "model has no graph inputs or outputs")
        }
        for input in graph.input where constants[input.name] == nil {
            let type = input.type.tensorType.elemType
            if type != Int32(Onnx_TensorProto.DataType.float.rawValue) {
                throw InferenceError(.unsupported, "input \"\(input.name)\" has element type \(type); RadLens runs float32 inputs")
            }
        }
        return ModelDefinition(opset: opset, producer: "\(model.producerName) \(model.producerVersion)",
                               nodes: nodes, constants: constants, inputs: inputs, outputs: outputs)
    }

    /// Names read only as a Conv's weight input (input 1), by no other input or graph output.
    private static func convolutionOnlyWeights(_ graph: Onnx_GraphProto) -> Set<String> {
        var weights = Set<String>(), other = Set(graph.output.map(\.name))
        for node in graph.node {
            for (index, input) in node.input.enumerated() {
                if node.opType == "Conv" && index == 1 { weights.insert(input) } else { other.insert(input) }
            }
        }
        return weights.subtracting(other)
    }

    private static func info(_ value: Onnx_ValueInfoProto) -> TensorInfo {
        let dims = value.type.tensorType.shape.dim.map { dim -> Int? in
            if case .dimValue(let v)? = dim.value, v > 0 { return Int(v) }
            return nil
        }
        return TensorInfo(name: value.name, shape: dims)
    }

    /// The tensor's value, from its own `raw_data` or typed data.
    static func constant(from tensor: Onnx_TensorProto, name: String) throws(InferenceError) -> Constant {
        guard tensor.hasRawData else { return try constant(from: tensor, name: name, rawData: nil) }
        let result = tensor.rawData.withUnsafeBytes { raw in
            Result { () throws(InferenceError) in try constant(from: tensor, name: name, rawData: raw) }
        }
        return try result.get()
    }

    /// The tensor's value from `rawData` (its raw_data, wherever it lies) or, when nil, its typed
    /// data. Without `readingValues`, float32 raw_data is only checked for size (`Constant.unread`).
    static func constant(from tensor: Onnx_TensorProto, name: String, rawData raw: UnsafeRawBufferPointer?,
                         readingValues: Bool = true) throws(InferenceError) -> Constant {
        if tensor.dataLocation == .external {
            throw InferenceError(.unsupported, "tensor \"\(name)\" uses external data files, which RadLens does not read")
        }
        let shape = tensor.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw InferenceError(.invalidModel, "tensor \"\(name)\" has a negative dimension \(shape)")
        }
        let (count, overflow) = shape.reduce((1, false)) { partial, dim in
            let product = partial.0.multipliedReportingOverflow(by: dim)
            return (product.partialValue, partial.1 || product.overflow)
        }
        guard !overflow, count <= 1 << 31 else {
            throw InferenceError(.invalidModel, "tensor \"\(name)\" declares an absurd size \(shape)")
        }
        switch Onnx_TensorProto.DataType(rawValue: Int(tensor.dataType)) {
        case .float?:
            var values: [Float]
            if let raw {
                guard raw.count == count * 4 else {
                    throw InferenceError(.invalidModel, "tensor \"\(name)\" holds \(raw.count) bytes, its shape \(shape) needs \(count * 4)")
                }
                if !readingValues { return .unread(shape: shape) }
                values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                    initialized = count
                }
            } else {
                values = tensor.floatData
            }
            guard values.count == count else {
                throw InferenceError(.invalidModel, "tensor \"\(name)\" holds \(values.count) values, its shape \(shape) needs \(count)")
            }
            return .float(Tensor(shape: shape, data: values))
        case .int64?, .int32?:
            let is64 = tensor.dataType == Int32(Onnx_TensorProto.DataType.int64.rawValue)
            var values: [Int]
            if let raw {
                let width = is64 ? 8 : 4
                guard raw.count == count * width else {
                    throw InferenceError(.invalidModel, "tensor \"\(name)\" holds \(raw.count) bytes, its shape \(shape) needs \(count * width)")
                }
                values = (0..<count).map { i in
                    is64 ? Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                         : Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                }
            } else {
                values = is64 ? tensor.int64Data.map { Int($0) } : tensor.int32Data.map { Int($0) }
            }
            guard values.count == count else {
                throw InferenceError(.invalidModel, "tensor \"\(name)\" holds \(values.count) values, its shape \(shape) needs \(count)")
            }
            return .int(shape: shape, values: values)
        default:
            let type = Onnx_TensorProto.DataType(rawValue: Int(tensor.dataType)).map { "\($0)" } ?? "\(tensor.dataType)"
            throw InferenceError(.unsupported, "tensor \"\(name)\" has data type \(type); RadLens reads float32 weights and int32/int64 shapes")
        }
    }

    private static func value(of attribute: Onnx_AttributeProto, node: Onnx_NodeProto) throws(InferenceError) -> AttributeValue {
        switch attribute.type {
        case .int: return .int(Int(attribute.i))
        case .float: return .float(attribute.f)
        case .ints: return .ints(attribute.ints.map { Int($0) })
        case .floats: return .floats(attribute.floats)
        case .string: return .string(String(decoding: attribute.s, as: UTF8.self))
        case .tensor: return .tensor(try constant(from: attribute.t, name: "\(node.name).\(attribute.name)"))
        default: return .other("\(attribute.type)")
        }
    }
}
