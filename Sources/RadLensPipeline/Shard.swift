/// A deterministic share of the inputs: input `path` belongs to shard `index` of `count` when
/// the FNV-1a hash of its path relative to the input folder is `index` modulo `count`. N
/// processes with shards 0..<N cover every input exactly once, on any machine.
public struct Shard: Sendable, Codable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws(AnalysisError) {
        guard count >= 1, index >= 0, index < count else {
            throw AnalysisError(.io, "shard \(index)/\(count) is invalid: need 0 <= I < N")
        }
        self.index = index
        self.count = count
    }

    /// Parses "I/N".
    public init(parsing text: String) throws(AnalysisError) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw AnalysisError(.io, "shard \"\(text)\" is not of the form I/N (e.g. 0/4)")
        }
        try self.init(index: index, count: count)
    }

    /// The shard from the scheduler's environment: Slurm job arrays (SLURM_ARRAY_TASK_ID,
    /// SLURM_ARRAY_TASK_COUNT) or Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX with count N
    /// given by RADLENS_SHARD_COUNT, since Kubernetes does not export the completion count).
    public static func fromEnvironment(_ environment: [String: String]) throws(AnalysisError) -> Shard? {
        if let id = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init),
           let count = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) {
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            return try Shard(index: id - minimum, count: count)
        }
        if let index = environment["JOB_COMPLETION_INDEX"].flatMap(Int.init) {
            guard let count = environment["RADLENS_SHARD_COUNT"].flatMap(Int.init) else {
                throw AnalysisError(.io, "JOB_COMPLETION_INDEX is set but RADLENS_SHARD_COUNT (the job's completions) is not")
            }
            return try Shard(index: index, count: count)
        }
        return nil
    }

    /// True when `relativePath` belongs to this shard.
    public func contains(_ relativePath: String) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in relativePath.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }
}
