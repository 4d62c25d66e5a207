import Foundation

/// A model bundle being loaded on a thread of its own: the manifest is read and the model file
/// mapped, then the model's sha256 is checked; the checks handed to `checks` run on that thread
/// too, in the order given, as soon as they come: between the hash's chunks, then after it.
/// `ModelBundle.load` starts one, or takes over the one that `ModelBundle.prefetch` started
/// before the command line was parsed.
final class BundleLoading: @unchecked Sendable {
    let checks = AlongsideChecks()
    private let opened = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    // Written on the loading thread before the semaphore that publishes it is signalled.
    private var resolvedPath: String?
    private var bundle: Result<ModelBundle, BundleError>?
    private var verification: BundleError?

    /// Starts loading the bundle at the path `resolve` returns (nil: there is none to load).
    init(resolving resolve: @escaping @Sendable () -> String?) {
        Thread.detachNewThread { [self] in
            resolvedPath = resolve()
            bundle = resolvedPath.map { path in Result { () throws(BundleError) in try ModelBundle(unverifiedAt: path) } }
            opened.signal()
            if case .success(let bundle) = bundle {
                do throws(BundleError) {
                    // A check handed over mid-hash (the packed-weight cache file's checksum, which
                    // the first inference needs) need not wait for the rest of the hash.
                    try bundle.verify(betweenChunks: { checks.runPending() })
                } catch {
                    verification = error
                }
                checks.runUntilClosed()
            }
            finished.signal()
        }
    }

    convenience init(path: String) {
        self.init(resolving: { path })
    }

    /// The folder being loaded, once resolved.
    var path: String? {
        waitUntilOpened()
        return resolvedPath
    }

    /// The bundle as read, its model not yet verified.
    func unverifiedBundle() throws(BundleError) -> ModelBundle {
        waitUntilOpened()
        guard let bundle else { throw BundleError("no model bundle to load") }
        return try bundle.get()
    }

    /// Waits for the hash and every check handed to `checks`; throws if the hash did not match.
    func finish() throws(BundleError) {
        checks.close()
        finished.wait()
        finished.signal()
        if let verification { throw verification }
    }

    private func waitUntilOpened() {
        opened.wait()
        opened.signal()  // Every later caller passes straight through.
    }
}

extension BundleLoading {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var prefetched: BundleLoading?

    /// Starts loading the bundle `resolve` names, for `takePrefetched` to hand over.
    static func prefetch(resolving resolve: @escaping @Sendable () -> String?) {
        let loading = BundleLoading(resolving: resolve)
        lock.withLock { prefetched = loading }
    }

    /// The prefetched load if it is of `path`. One of another folder is abandoned: its thread
    /// finishes the hash it may have begun and exits.
    static func takePrefetched(at path: String) -> BundleLoading? {
        guard let loading = lock.withLock({ () -> BundleLoading? in
            defer { prefetched = nil }
            return prefetched
        }) else { return nil }
        guard loading.path == path else {
            loading.checks.close()
            return nil
        }
        return loading
    }
}
