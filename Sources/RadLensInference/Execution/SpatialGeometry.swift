/// Output size and effective padding of a sliding window along one spatial axis (ONNX rules).
struct SpatialAxis: Equatable {
    var output: Int
    var padBegin: Int
    var padEnd: Int

    /// - Parameters: `pads` begin/end as given; `autoPad` NOTSET, VALID, SAME_UPPER or SAME_LOWER.
    static func resolve(input: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int,
                        autoPad: String, ceilMode: Bool = false) -> SpatialAxis? {
        let span = (kernel - 1) * dilation + 1
        switch autoPad {
        case "VALID":
            guard input >= span else { return nil }
            return SpatialAxis(output: (input - span) / stride + 1, padBegin: 0, padEnd: 0)
        case "SAME_UPPER", "SAME_LOWER":
            let output = (input + stride - 1) / stride
            let total = max(0, (output - 1) * stride + span - input)
            let begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
            return SpatialAxis(output: output, padBegin: begin, padEnd: total - begin)
        default:
            let padded = input + padBegin + padEnd - span
            guard padded >= 0 else { return nil }
            var output = (ceilMode ? (padded + stride - 1) / stride : padded / stride) + 1
            // With ceil_mode the last window must start inside the input or its left padding.
            if ceilMode && (output - 1) * stride >= input + padBegin { output -= 1 }
            return SpatialAxis(output: output, padBegin: padBegin, padEnd: padEnd)
        }
    }
}
