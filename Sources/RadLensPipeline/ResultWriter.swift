import Foundation

/// Writes `radlens batch`'s per-input files on a thread of its own, so a worker goes on to its
/// next input while the disk syncs the last one's files (`AtomicFile` syncs each file before its
/// rename). An input's files are written in the order given, its JSON (the resume record) last.
/// At most `capacity` inputs wait: a worker that finds the queue full waits, so memory stays
/// flat however slow the disk. The thread mostly waits on the disk, so it is not counted in
/// `--threads`. After a failed write the rest of the queue is dropped.
final class ResultWriter: @unchecked Sendable {
    /// One input's files, in writing order, the files to remove first, and how the input ended.
    struct Job {
        var directory: String
        var files: [(path: String, data: Data)]
        var removals: [String]
        var outcome: BatchState.Outcome
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var closed = false
    private var failed = false
    private let capacity: Int
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the writing thread. `written` is called on it after each input's files are in
    /// place; `failure` once, with the first error.
    init(capacity: Int, written: @escaping @Sendable (BatchState.Outcome) -> Void, failure: @escaping @Sendable (Error) -> Void) {
        self.capacity = max(1, capacity)
        let thread = Thread { [self] in
            var createdDirectory: String?
            while let job = take() {
                do {
                    // Inputs come in path order, so most share the last one's folder.
                    if job.directory != createdDirectory {
                        try FileManager.default.createDirectory(atPath: job.directory, withIntermediateDirectories: true)
                        createdDirectory = job.directory
                    }
                    for path in job.removals { try? FileManager.default.removeItem(atPath: path) }
                    for file in job.files { try AtomicFile.write(file.data, to: file.path) }
                    written(job.outcome)
                } catch {
                    condition.withLock { failed = true; queue.removeAll(); condition.broadcast() }
                    failure(error)
                }
            }
            finished.signal()
        }
        thread.start()
    }

    /// Queues one input's files, waiting while `capacity` inputs are queued. Dropped after a failure.
    func submit(_ job: Job) {
        condition.withLock {
            while queue.count >= capacity && !failed { condition.wait() }
            if !failed { queue.append(job) }
            condition.broadcast()
        }
    }

    /// Waits until every queued input is written, then ends the thread.
    func finish() {
        condition.withLock { closed = true; condition.broadcast() }
        finished.wait()
    }

    private func take() -> Job? {
        condition.withLock {
            while queue.isEmpty && !closed { condition.wait() }
            guard !queue.isEmpty else { return nil }
            defer { condition.broadcast() }
            return queue.removeFirst()
        }
    }
}
