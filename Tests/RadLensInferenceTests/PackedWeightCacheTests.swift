import Foundation
@testable import RadLensInference
import RadLensTestSupport
import Testing

/// Packed weights cached on disk must give exactly the results of packing the model afresh,
/// at every level this CPU runs and in both precisions, and a damaged or foreign file must be
/// a miss (packed again and rewritten), never a crash or a wrong answer. Loading only reads the
/// cache; `savePackedWeights` writes it.
@Suite struct PackedWeightCacheTests {
    /// One model per packing path: direct, GEMM (grouped_cnn), depthwise (MobileNetV2), padded
    /// borders (border_cnn), a deep residual network.
    static let models = ["small_cnn-c1", "border_cnn-c1", "grouped_cnn-c1", "mobilenet_v2-c3", "resnet18-c1"]
    static let levels = KernelLevel.allCases.filter(\.isSupported)

    /// A stand-in for the model's sha256, which the cache takes on the caller's word.
    static func identity(_ name: String) -> String {
        String(String(repeating: "0", count: 64 - name.utf8.count * 2) + name.utf8.map { String($0, radix: 16) }.joined())
    }

    func modelAndInput(_ name: String) throws -> (Data, Tensor) {
        let folder = TestPaths.fixture("models")
        return (try Data(contentsOf: folder.appendingPathComponent("\(name).onnx")),
                try NumPyFile.read(contentsOf: folder.appendingPathComponent("\(name).b1.input.npy").path))
    }

    func temporaryCache() throws -> PackedWeightCache {
        PackedWeightCache(directory: try TestPaths.temporaryDirectory("packed-weights").appendingPathComponent("cache").path)
    }

    /// A session reading `cache`, which then writes its packed weights there on a miss, as
    /// `Classifier.savePackedWeights` does once the sha256 is confirmed.
    func session(_ data: Data, _ options: SessionOptions, _ cache: PackedWeightCache, _ sha: String) throws -> InferenceSession {
        let session = try InferenceSession(data: data, options: options, cache: cache, modelSHA256: sha)
        #expect(session.savePackedWeights(to: cache, modelSHA256: sha) == !session.usesCachedWeights)
        return session
    }

    @Test(arguments: models, Precision.allCases)
    func cachedWeightsGiveIdenticalResults(_ name: String, precision: Precision) throws {
        let (data, input) = try modelAndInput(name)
        let cache = try temporaryCache()
        for level in Self.levels {
            let options = SessionOptions(threads: 2, kernelLevel: level, precision: precision)
            let expected = try InferenceSession(data: data, options: options).run(input)
            let cold = try InferenceSession(data: data, options: options, cache: cache, modelSHA256: Self.identity(name))
            let path = try #require(cache.path(modelSHA256: Self.identity(name), level: level))
            #expect(!cold.usesCachedWeights && !FileManager.default.fileExists(atPath: path), "\(name) \(level): loading wrote")
            #expect(cold.savePackedWeights(to: cache, modelSHA256: Self.identity(name)) && FileManager.default.fileExists(atPath: path))
            let warm = try InferenceSession(data: data, options: options, cache: cache, modelSHA256: Self.identity(name))
            #expect(warm.usesCachedWeights, "\(name) \(level) \(precision): the file was not used")
            #expect(!warm.savePackedWeights(to: cache, modelSHA256: Self.identity(name)), "weights from the file are not written back")
            #expect(try cold.run(input) == expected, "\(name) \(level) \(precision): cold cache differs")
            #expect(try warm.run(input) == expected, "\(name) \(level) \(precision): warm cache differs")
            // The plain reader converted every weight; at fp32 the cached session read none of
            // the convolutions' weights from the model.
            if precision == .fp32 {
                let unread = warm.graph.layers.filter { if case .conv(let conv) = $0.kind { conv.weights.isEmpty } else { false } }
                #expect(!unread.isEmpty, "\(name): every convolution's weights were converted anyway")
            }
        }
    }

    /// Cuts, flipped bytes (in the header, the buffer table, the weights and the padding) and
    /// trailing bytes each make a miss; the next session repairs the file.
    @Test func damagedFilesAreMissesNotCrashes() throws {
        let (data, input) = try modelAndInput("small_cnn-c1")
        let cache = try temporaryCache()
        let sha = Self.identity("small_cnn-c1"), options = SessionOptions(threads: 1)
        let expected = try InferenceSession(data: data, options: options).run(input)
        _ = try session(data, options, cache, sha)
        let path = try #require(cache.path(modelSHA256: sha, level: options.kernelLevel))
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var damaged: [(String, [UInt8])] = [0, 7, 100, 143, 200, good.count / 2, good.count - 1].map { ("cut at \($0)", Array(good.prefix($0))) }
        var generator = SplitMix(state: 26)
        let flips = [0, 9, 70, 130, 150] + (0..<12).map { _ in Int(generator.next() % UInt64(good.count)) } + [good.count - 1]
        for offset in flips {
            var bytes = good
            bytes[offset] ^= 0x10
            damaged.append(("flip at \(offset)", bytes))
        }
        // Every bit of the last byte: a plain multiply-and-xor fold of the sums let a flip of its
        // top bits cancel out.
        for bit in 0..<8 {
            var bytes = good
            bytes[good.count - 1] ^= 1 << bit
            damaged.append(("bit \(bit) of the last byte", bytes))
        }
        // The high bits of the first buffer's offset and count (bytes 144-159): sums of them
        // overflow, and must still be misses.
        // The checksum is made right again, so the bounds checks themselves are what refuse them.
        for byte in [151, 159] {
            for bit: UInt8 in [0x20, 0x40, 0x80] {
                var bytes = good
                bytes[byte] ^= bit
                let checksum = bytes.withUnsafeBytes { PackedWeightCache.Header.checksum($0) }
                withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(24..<32, with: $0) }
                damaged.append(("bit \(bit) of byte \(byte), checksum fixed", bytes))
            }
        }
        damaged.append(("64 bytes appended", good + [UInt8](repeating: 7, count: 64)))
        for (what, bytes) in damaged {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let repaired = try session(data, options, cache, sha)
            #expect(!repaired.usesCachedWeights, "\(what): a damaged file was used")
            #expect(try repaired.run(input) == expected, "\(what): results differ")
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == good, "\(what): the file was not rewritten")
        }
    }

    /// With `defersChecksum` a session maps a file whose header holds and leaves the checksum
    /// to `cachedWeightsCheck` (another thread's, at a cold start): runs wait for it, and a
    /// damaged file's session refuses to run rather than compute with wrong weights.
    @Test func aDeferredChecksumGatesEveryRun() throws {
        let (data, input) = try modelAndInput("small_cnn-c1")
        var cache = try temporaryCache()
        let sha = Self.identity("small_cnn-c1"), options = SessionOptions(threads: 1)
        let expected = try InferenceSession(data: data, options: options).run(input)
        #expect(try InferenceSession(data: data, options: options).cachedWeightsCheck == nil, "no cache, nothing to check")
        _ = try session(data, options, cache, sha)
        let path = try #require(cache.path(modelSHA256: sha, level: options.kernelLevel))
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try InferenceSession(data: data, options: options, cache: cache, modelSHA256: sha).cachedWeightsCheck?() == true,
                "a checked file's check holds")
        cache.defersChecksum = true

        let intact = try InferenceSession(data: data, options: options, cache: cache, modelSHA256: sha)
        let check = try #require(intact.cachedWeightsCheck)
        nonisolated(unsafe) var holds: Bool?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { holds = check(); done.signal() }
        done.wait()
        #expect(holds == true, "checked on another thread")
        #expect(try intact.run(input) == expected)

        for offset in [good.count / 2, good.count - 1] {
            var bytes = good
            bytes[offset] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let damaged = try InferenceSession(data: data, options: options, cache: cache, modelSHA256: sha)
            #expect(damaged.usesCachedWeights, "the header holds, so the file is mapped")
            // Not checked yet: the run checks it first and refuses.
            #expect(throws: InferenceError.self, "flip at \(offset): ran on a damaged file") { try damaged.run(input) }
            #expect(damaged.cachedWeightsCheck?() == false)
            var checking = cache
            checking.defersChecksum = false
            let repaired = try session(data, options, checking, sha)
            #expect(!repaired.usesCachedWeights)
            #expect(try repaired.run(input) == expected)
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == good, "flip at \(offset): not rewritten")
        }
        // A damaged header is a miss whether or not the checksum is deferred.
        try Data(Array(good.prefix(100))).write(to: URL(fileURLWithPath: path))
        #expect(try !InferenceSession(data: data, options: options, cache: cache, modelSHA256: sha).usesCachedWeights)
    }

    /// A file written for another model, level or executable is not this one's.
    @Test func filesAreKeptApartByModelLevelAndExecutable() throws {
        let (small, input) = try modelAndInput("small_cnn-c1")
        let (border, _) = try modelAndInput("border_cnn-c1")
        let cache = try temporaryCache()
        let options = SessionOptions(threads: 1)
        let smallSHA = Self.identity("small_cnn-c1"), borderSHA = Self.identity("border_cnn-c1")
        _ = try session(small, options, cache, smallSHA)
        let smallPath = try #require(cache.path(modelSHA256: smallSHA, level: options.kernelLevel))
        let borderPath = try #require(cache.path(modelSHA256: borderSHA, level: options.kernelLevel))
        // Another model's file under this model's name: its header names the other model.
        try FileManager.default.copyItem(atPath: smallPath, toPath: borderPath)
        #expect(!(try InferenceSession(data: border, options: options, cache: cache, modelSHA256: borderSHA)).usesCachedWeights)
        // Another level's name for the same bytes.
        for level in Self.levels where level != options.kernelLevel {
            let other = try #require(cache.path(modelSHA256: smallSHA, level: level))
            try? FileManager.default.removeItem(atPath: other)
            try FileManager.default.copyItem(atPath: smallPath, toPath: other)
            var levelOptions = options
            levelOptions.kernelLevel = level
            let expected = try InferenceSession(data: small, options: levelOptions).run(input)
            let atLevel = try InferenceSession(data: small, options: levelOptions, cache: cache, modelSHA256: smallSHA)
            #expect(!atLevel.usesCachedWeights, "\(level) used \(options.kernelLevel)'s file")
            #expect(try atLevel.run(input) == expected)
        }
        // Another executable's identity in the header.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: smallPath)))
        bytes[32] ^= 0x01  // the executable's size
        try Data(bytes).write(to: URL(fileURLWithPath: smallPath))
        #expect(cache.open(modelSHA256: smallSHA, level: options.kernelLevel) == nil)
    }

    /// A file another user owns is not read, even when it is otherwise valid (root can make one).
    @Test(.enabled(if: getuid() == 0, "making a file another user owns needs root"))
    func filesOfOtherUsersAreNotRead() throws {
        let (data, _) = try modelAndInput("small_cnn-c1")
        let cache = try temporaryCache()
        let sha = Self.identity("small_cnn-c1"), options = SessionOptions(threads: 1)
        _ = try session(data, options, cache, sha)
        let path = try #require(cache.path(modelSHA256: sha, level: options.kernelLevel))
        #expect(cache.open(modelSHA256: sha, level: options.kernelLevel) != nil)
        #expect(chown(path, 65534, 65534) == 0)
        #expect(cache.open(modelSHA256: sha, level: options.kernelLevel) == nil)
        #expect(!(try InferenceSession(data: data, options: options, cache: cache, modelSHA256: sha)).usesCachedWeights)
    }

    /// Rebuilds and upgrades leave one file each; only the newest `keptPerModel` stay.
    @Test func oldFilesOfAModelArePruned() throws {
        let (data, _) = try modelAndInput("small_cnn-c1")
        let cache = try temporaryCache()
        let sha = Self.identity("small_cnn-c1"), level = KernelLevel.best
        try FileManager.default.createDirectory(atPath: cache.directory, withIntermediateDirectories: true)
        let stale = (0..<6).map { "\(cache.directory)/\(sha)-\(level.rawValue)-\(String(repeating: "\($0)", count: 16)).packed" }
        for (age, path) in stale.enumerated() {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -86_400 * Double(age + 1))], ofItemAtPath: path)
        }
        let unrelated = "\(cache.directory)/\(Self.identity("other"))-\(level.rawValue)-0000000000000000.packed"
        try Data([1]).write(to: URL(fileURLWithPath: unrelated))
        let abandoned = "\(cache.directory)/.\(sha)-\(level.rawValue)-1234.5678.tmp", writing = "\(cache.directory)/.\(sha)-\(level.rawValue)-99.1.tmp"
        try Data([1]).write(to: URL(fileURLWithPath: abandoned))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: abandoned)
        try Data([1]).write(to: URL(fileURLWithPath: writing))
        _ = try session(data, SessionOptions(threads: 1), cache, sha)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: cache.directory).map { "\(cache.directory)/\($0)" })
        let written = try #require(cache.path(modelSHA256: sha, level: level))
        #expect(left == Set([written, unrelated, writing] + stale.prefix(PackedWeightCache.keptPerModel - 1)), "\(left.sorted())")
    }

    /// The sha256 becomes part of a file name: anything but 64 hex digits means no cache.
    @Test func onlyHexDigestsNameFiles() throws {
        let (data, _) = try modelAndInput("small_cnn-c1")
        let cache = try temporaryCache()
        for bad in ["../../etc/x", String(repeating: "a", count: 63), String(repeating: "a", count: 65), String(repeating: "g", count: 64),
                    String(repeating: "a", count: 62) + "/x"] {
            #expect(cache.path(modelSHA256: bad, level: .generic) == nil, "\(bad)")
            let session = try InferenceSession(data: data, options: SessionOptions(threads: 1), cache: cache, modelSHA256: bad)
            #expect(!session.savePackedWeights(to: cache, modelSHA256: bad))
        }
        #expect(!FileManager.default.fileExists(atPath: cache.directory), "nothing was written")
        #expect(cache.path(modelSHA256: String(repeating: "A", count: 64), level: .generic) != nil)
    }

    @Test func theStandardFolderFollowsTheEnvironment() {
        #expect(PackedWeightCache.standard(environment: ["RADLENS_CACHE_DIR": "/srv/cache", "HOME": "/root"])?.directory == "/srv/cache/packed-weights")
        #expect(PackedWeightCache.standard(environment: ["RADLENS_CACHE_DIR": "off", "HOME": "/root"]) == nil)
        #expect(PackedWeightCache.standard(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/root"])?.directory == "/x/radlens/packed-weights")
        #expect(PackedWeightCache.standard(environment: ["HOME": "/home/ana"])?.directory == "/home/ana/.cache/radlens/packed-weights")
        #expect(PackedWeightCache.standard(environment: [:]) == nil)
    }
}
