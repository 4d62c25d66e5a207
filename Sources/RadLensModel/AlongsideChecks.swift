import Foundation

/// Checks that `ModelBundle.load` runs on the thread that verifies the model's sha256, in the
/// order given, as they come (between the hash's chunks, or after it), while its caller goes on
/// preparing; `load` returns only once every one has run. A cold start hands it work the first image does not wait for
/// (the packed-weight cache file's checksum, say), so one core hashes and checks while the
/// other builds the engine and decodes.
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
        while true {
            condition.lock()
            let next = pending.isEmpty ? nil : pending.removeFirst()
            condition.unlock()
            guard let next else { return }
            next()
        }
    }

    /// Runs the checks as they come until `close` and the last one.
    func runUntilClosed() {
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            let next = pending.isEmpty ? nil : pending.removeFirst()
            condition.unlock()
            guard let next else { return }
            next()
        }
    }

    /// The result of a check: set on the checking thread, read after `ModelBundle.load` returned.
    public final class Checked<Value: Sendable>: @unchecked Sendable {
        fileprivate var result: Value?
        /// The check's result (only after `load` returned: it waited for the check).
        public var value: Value { result! }
    }
}
