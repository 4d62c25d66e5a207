import Foundation

/// Checks that `ModelBundle.load` runs on the thread that verifies the model's sha256, in the
/// order given, as they come (between the hash's chunks, or after it), while its caller goes on
/// preparing; `load` returns only once every one has run. A cold start hands it the
/// packed-weight cache file's checksum and the report templates, so one core hashes and checks
/// while the other builds the engine, decodes and classifies.
public final class AlongsideChecks: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []
    private var closed = false

    init() {}

    /// Runs `check` on the checking thread; read the result once `load` has returned.
    public func run<Value: Sendable>(_ check: @escaping @Sendable () -> Value) -> Checked<Value> {
        let result = Checked<Value>()
        condition.lock()
        precondition(!closed, "AlongsideChecks.run called after ModelBundle.load returned")
        pending.append { result.result = check() }
        condition.signal()
        condition.unlock()
        return result
    }

    /// No more checks: the caller has finished preparing.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    /// Runs the checks handed over so far, without waiting for more.
    func runPending() {
        while let check = next(waitingUntilClosed: false) { check() }
    }

    /// Runs the checks as they come until `close` and the last one.
    func runUntilClosed() {
        while let check = next(waitingUntilClosed: true) { check() }
    }

    /// The next check handed over, if any: with `waitingUntilClosed`, waits for one until `close`.
    private func next(waitingUntilClosed: Bool) -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while waitingUntilClosed && pending.isEmpty && !closed { condition.wait() }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    /// The result of a check: set on the checking thread, read after `ModelBundle.load` returned.
    public final class Checked<Value: Sendable>: @unchecked Sendable {
        fileprivate var result: Value?
        /// The check's result (only after `load` returned: it waited for the check).
        public var value: Value { result! }
    }
}
