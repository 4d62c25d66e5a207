import Crypto
import Foundation
import RadLensPreprocess

/// A model bundle folder (`Models/<name>/`): model.onnx, manifest.json, MODEL_CARD.md, templates.
public struct ModelBundle: Sendable {
    public var directory: URL
    public var manifest: ModelManifest
    /// The model file's bytes (memory-mapped), verified against the manifest's sha256.
    public var modelData: Data

    /// Loads and checks the bundle at `path`: the manifest parses, its preprocessing is
    /// supported, and model.onnx has the sha256 the manifest records.
    public init(at path: String) throws(BundleError) {
        try self.init(unverifiedAt: path)
        try verify()
    }

    /// Loads the bundle at `path` and runs `prepare` on it (building an engine from the model
    /// and decoding the first image, say) while the model's sha256 is checked on another core:
    /// start-up takes the longer of the two rather than their sum. Returns `prepare`'s result
    /// only once the hash matched.
    public static func load<Prepared>(at path: String, preparing prepare: (ModelBundle) throws -> Prepared) throws -> Prepared {
        try load(at: path) { bundle, _ in try prepare(bundle) }
    }

    /// `load(at:preparing:)`, where `prepare` may hand checks of its own to the hashing thread
    /// (`AlongsideChecks.run`): they run there as they come, between the hash's chunks or after
    /// it, and this returns once they have.
    public static func load<Prepared>(at path: String, preparing prepare: (ModelBundle, AlongsideChecks) throws -> Prepared) throws -> Prepared {
        let loading = BundleLoading.takePrefetched(at: path) ?? BundleLoading(path: path)
        let prepared = Result { try prepare(try loading.unverifiedBundle(), loading.checks) }
        try loading.finish()
        return try prepared.get()
    }

    /// Starts loading the bundle at the path `resolve` returns, and hashing its model, on
    /// another core, for the next `load(at:)` of that path to take over. A command that will
    /// load a bundle calls this before parsing the rest of its command line: the sha256 of a
    /// 14 MB model (about 11 ms) then overlaps the parsing instead of the engine's build.
    /// A `load` of another path ignores it.
    public static func prefetch(resolving resolve: @escaping @Sendable () -> String?) {
        BundleLoading.prefetch(resolving: resolve)
    }

    /// Checks the model file against the manifest's sha256. The file is read through a small
    /// buffer rather than hashed through `modelData`'s mapping: the engine reads few of the
    /// mapping's pages once packed weights are cached, and every page the hash touched there
    /// would cost a page-table entry to fill and, at exit, to tear down (about 1 ms for 14 MB).
    func verify(betweenChunks: () -> Void = {}) throws(BundleError) {
        let modelURL = directory.appendingPathComponent(manifest.model.file)
        let digest = try Self.sha256(contentsOf: modelURL.path, betweenChunks: betweenChunks)
        guard digest == manifest.model.sha256.lowercased() else {
            throw BundleError("\(modelURL.path): sha256 \(digest) does not match the manifest's \(manifest.model.sha256); the bundle is inconsistent")
        }
    }

    init(unverifiedAt path: String) throws(BundleError) {
        directory = URL(fileURLWithPath: path)
        let manifestURL = directory.appendingPathComponent("manifest.json")
        guard let manifestData = FileManager.default.contents(atPath: manifestURL.path) else {
            throw BundleError("\(path): no manifest.json (is this a RadLens model bundle folder?)")
        }
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: manifestData)
        } catch {
            throw BundleError("\(manifestURL.path): invalid manifest: \(error)")
        }
        guard manifest.schemaVersion == 1 || manifest.schemaVersion == 2 else {
            throw BundleError("\(manifestURL.path): manifest schemaVersion \(manifest.schemaVersion) is not supported (1 or 2)")
        }
        guard manifest.schemaVersion == 2 || manifest.head == nil else {
            throw BundleError("\(manifestURL.path): a schemaVersion 1 manifest has no head (use schemaVersion 2)")
        }
        do {
            _ = try ModelHead(manifest)
        } catch {
            throw BundleError("\(manifestURL.path): \(error.description)")
        }
        do {
            try manifest.preprocessing.validate(channels: manifest.input.channels)
        } catch {
            throw BundleError("\(manifestURL.path): \(error)")
        }
        let modelURL = directory.appendingPathComponent(manifest.model.file)
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw BundleError("\(modelURL.path): model file is missing")
        }
        do {
            // Mapped rather than read: about 1 ms instead of 10 for a 14 MB model (no copy).
            modelData = try Data(contentsOf: modelURL, options: .alwaysMapped)
        } catch {
            throw BundleError("\(modelURL.path): cannot read the model file (\(error.localizedDescription))")
        }
    }

    /// Hex SHA-256 of `data`.
    public static func sha256(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Hex SHA-256 of the file at `path`, read 1 MB at a time; `betweenChunks` runs after each.
    static func sha256(contentsOf path: String, betweenChunks: () -> Void = {}) throws(BundleError) -> String {
        func failure() -> BundleError { BundleError("\(path): cannot read the model file (\(String(cString: strerror(errno))))") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        var hasher = SHA256()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, chunk)
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw failure()
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            betweenChunks()
        }
        return hex(hasher.finalize())
    }

    /// Lower-case hex of `bytes`.
    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// A model bundle that cannot be used, and why.
public struct BundleError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
