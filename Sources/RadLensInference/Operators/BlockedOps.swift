/// Reorders between plain NCHW and the blocked layout [N][C/B][H][W][B] (see `BlockedLayout`);
/// `lanes` is B. The operators on the blocked layout are vector kernels (BlockedOperators.swift).
enum BlockedOps {
    /// Plain [N][C][plane] to blocked [N][ceil(C/B)][plane][B]; padding lanes become zero.
    static func toBlocked(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                          plane: Int, lanes: Int) {
        let blocks = (channels + lanes - 1) / lanes
        for n in 0..<batch {
            for block in 0..<blocks {
                let destination = output + (n * blocks + block) * plane * lanes
                for lane in 0..<lanes {
                    let channel = block * lanes + lane
                    if channel < channels {
                        let source = input + (n * channels + channel) * plane
                        for i in 0..<plane { destination[i * lanes + lane] = source[i] }
                    } else {
                        for i in 0..<plane { destination[i * lanes + lane] = 0 }
                    }
                }
            }
        }
    }

    /// Blocked to plain NCHW, dropping the padding lanes.
    static func toPlain(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                        plane: Int, lanes: Int) {
        let blocks = (channels + lanes - 1) / lanes
        for n in 0..<batch {
            for channel in 0..<channels {
                let source = input + (n * blocks + channel / lanes) * plane * lanes + channel % lanes
                let destination = output + (n * channels + channel) * plane
                for i in 0..<plane { destination[i] = source[i * lanes] }
            }
        }
    }
}
