import Foundation
import Glibc

/// Packed convolution weights kept on disk between processes: a cold start maps them instead
/// of converting, folding and packing the model's weights again.
///
/// One file per model, kernel level and executable, `<sha256>-<level>-<build>.packed` in
/// `directory`, where `<build>` hashes the size, modification time and inode of
/// `/proc/self/exe` (another build may pack differently). A file is used only when its header
/// names the same model, level, format and executable, its buffers are the sizes this graph
/// needs, and its checksum holds. Anything else is a miss: the weights are packed from the
/// model and the file is written (a temporary file, then a rename, so readers never see half
/// a file). Writing keeps the newest `keptPerModel` files of a model and level, so upgrades
/// and rebuilds do not pile up.
///
/// The sha256 is the caller's word for the model's bytes. Sessions only read the cache while
/// `ModelBundle.load` checks the sha256 against the model file; the file is written afterwards
/// (`Classifier.savePackedWeights`), so a model the manifest does not describe never fills its
/// entry. Files owned by another user are never read.
public struct PackedWeightCache: Sendable, Equatable {
    /// The folder holding the files (made, mode 0700, on first write).
    public var directory: String
    /// When true, a session maps a file once its header holds and leaves the whole-file
    /// checksum (about 14 MB read for the shipped model) to `InferenceSession.cachedWeightsCheck`,
    /// so that another core can run it; the session's runs still wait for it. When false (the
    /// default), a file whose checksum fails is a miss at load.
    public var defersChecksum: Bool

    public init(directory: String, defersChecksum: Bool = false) {
        self.directory = directory
        self.defersChecksum = defersChecksum
    }

    /// `$RADLENS_CACHE_DIR/packed-weights`, else `$XDG_CACHE_HOME/radlens/packed-weights`, else
    /// `~/.cache/radlens/packed-weights`; nil when `RADLENS_CACHE_DIR` is `off` or no home is known.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> PackedWeightCache? {
        let base: String
        if let chosen = environment["RADLENS_CACHE_DIR"], !chosen.isEmpty {
            if chosen == "off" { return nil }
            base = chosen
        } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = xdg + "/radlens"
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            base = home + "/.cache/radlens"
        } else {
            return nil
        }
        return PackedWeightCache(directory: base + "/packed-weights")
    }

    /// Files kept per model and kernel level (one per executable that wrote them).
    public static let keptPerModel = 4

    /// This executable's file for a model (by sha256, 64 hex digits) at a kernel level; nil when
    /// the executable cannot be identified or the sha256 is not one (it becomes part of a path).
    public func path(modelSHA256: String, level: KernelLevel) -> String? {
        let isHex = modelSHA256.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) || (97...102).contains($0) }
        guard modelSHA256.utf8.count == 64, isHex else { return nil }
        return ExecutableIdentity.current.map { "\(directory)/\(Self.prefix(modelSHA256, level))\($0.tag).packed" }
    }

    private static func prefix(_ modelSHA256: String, _ level: KernelLevel) -> String {
        "\(modelSHA256.lowercased())-\(level.rawValue)-"
    }

    /// The file for the model at `level`, mapped read-only; nil on any miss. Its checksum has
    /// held unless `defersChecksum`, in which case `MappedPackedWeights.checksumHolds` says.
    func open(modelSHA256: String, level: KernelLevel) -> MappedPackedWeights? {
        guard let executable = ExecutableIdentity.current, let path = path(modelSHA256: modelSHA256, level: level),
              let file = MappedPackedWeights(path: path, expected: Header.Identity(modelSHA256: modelSHA256.lowercased(),
                                                                                    level: level.rawValue, executable: executable))
        else { return nil }
        return defersChecksum || file.checksumHolds() ? file : nil
    }

    /// Removes all but the newest `keptPerModel` files of the model at `level`, and temporary
    /// files of it older than an hour (a writer killed mid-write; writing takes well under a second).
    private func prune(modelSHA256: String, level: KernelLevel) {
        let prefix = Self.prefix(modelSHA256, level)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        func modified(_ path: String) -> Date {
            (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
        }
        let files = names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".packed") }.map { "\(directory)/\($0)" }
        for stale in files.map({ ($0, modified($0)) }).sorted(by: { $0.1 > $1.1 }).dropFirst(Self.keptPerModel) {
            unlink(stale.0)
        }
        let abandoned = names.filter { $0.hasPrefix("." + prefix) && $0.hasSuffix(".tmp") }.map { "\(directory)/\($0)" }
        for temporary in abandoned where modified(temporary) < Date(timeIntervalSinceNow: -3600) { unlink(temporary) }
    }

    /// Writes `buffers` (each convolution's packed floats, in layer order) as the file for the
    /// model at `level`. Returns false when it cannot (a read-only home, a full disk): the
    /// cache is an optimisation, and its absence is never an error.
    @discardableResult
    func store(_ buffers: [UnsafeBufferPointer<Float>], modelSHA256: String, level: KernelLevel) -> Bool {
        guard let executable = ExecutableIdentity.current, let target = path(modelSHA256: modelSHA256, level: level) else { return false }
        let identity = Header.Identity(modelSHA256: modelSHA256.lowercased(), level: level.rawValue, executable: executable)
        let headerBytes = Header.size(bufferCount: buffers.count)
        var offsets: [(offset: Int, count: Int)] = []
        var end = headerBytes
        for buffer in buffers {
            offsets.append((end, buffer.count))
            end += Header.paddedBytes(floats: buffer.count)
        }
        let file = UnsafeMutableRawBufferPointer.allocate(byteCount: end, alignment: 64)
        defer { file.deallocate() }
        file.initializeMemory(as: UInt8.self, repeating: 0)
        for (buffer, place) in zip(buffers, offsets) {
            UnsafeMutableRawBufferPointer(rebasing: file[place.offset...]).copyMemory(from: UnsafeRawBufferPointer(buffer))
        }
        var header = Header(identity: identity, checksum: 0, buffers: offsets)
        header.write(into: file)
        header.checksum = Header.checksum(UnsafeRawBufferPointer(file))
        header.write(into: file)

        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])) != nil else { return false }
        let temporary = "\(directory)/.\(Self.prefix(modelSHA256, level))\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        var written = 0
        while written < end {
            let result = Glibc.write(descriptor, file.baseAddress! + written, end - written)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { break }
            written += result
        }
        let closed = close(descriptor) == 0
        guard written == end, closed, rename(temporary, target) == 0 else {
            unlink(temporary)
            return false
        }
        prune(modelSHA256: modelSHA256, level: level)
        return true
    }
}

/// A packed-weight file whose header holds, mapped read-only for as long as the object lives.
/// Its buffers are used only once `checksumHolds()` has said yes.
final class MappedPackedWeights: @unchecked Sendable {
    /// Each stored buffer, in the order written.
    let buffers: [UnsafeBufferPointer<Float>]
    private let mapping: UnsafeMutableRawPointer
    private let length: Int
    private let expectedChecksum: UInt64
    private let checking = NSLock()
    private var checked: Bool?

    init?(path: String, expected: PackedWeightCache.Header.Identity) {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        // Only this user's files: in a folder others can write to, a planted file with a right
        // checksum would otherwise change results under the genuine model's name.
        guard fstat(descriptor, &status) == 0, status.st_uid == geteuid(),
              status.st_size >= PackedWeightCache.Header.fixedSize else { return nil }
        let length = Int(status.st_size)
        guard let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else { return nil }
        let file = UnsafeRawBufferPointer(start: mapping, count: length)
        // Bounds that cannot overflow: a damaged count or offset must be a miss, not a trap in
        // the arithmetic (the checksum, which would catch it too, may come later).
        guard length % 64 == 0, let header = PackedWeightCache.Header(reading: file), header.identity == expected,
              header.dataStart <= length, header.buffers.allSatisfy({ place in
                  place.offset >= header.dataStart && place.offset <= length && place.offset % 64 == 0
                      && place.count >= 0 && place.count <= length / 4
                      && place.offset + PackedWeightCache.Header.paddedBytes(floats: place.count) <= length
              })
        else {
            munmap(mapping, length)
            return nil
        }
        self.mapping = mapping
        self.length = length
        expectedChecksum = header.checksum
        buffers = header.buffers.map { place in
            UnsafeBufferPointer(start: (mapping + place.offset).assumingMemoryBound(to: Float.self), count: place.count)
        }
    }

    /// Whether the checksum over the whole file holds: computed by the first caller, from any
    /// thread (others wait for it), then remembered.
    func checksumHolds() -> Bool {
        checking.lock()
        defer { checking.unlock() }
        if let checked { return checked }
        let holds = PackedWeightCache.Header.checksum(UnsafeRawBufferPointer(start: mapping, count: length)) == expectedChecksum
        checked = holds
        return holds
    }

    deinit { munmap(mapping, length) }
}

/// The running executable, as the file system sees it.
struct ExecutableIdentity: Equatable {
    var size: Int64
    var modifiedSeconds: Int64
    var modifiedNanoseconds: Int64
    var inode: UInt64

    /// 16 hex digits naming this identity in file names (FNV-1a of its fields).
    var tag: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for field in [UInt64(bitPattern: size), UInt64(bitPattern: modifiedSeconds), UInt64(bitPattern: modifiedNanoseconds), inode] {
            for byte in 0..<8 { hash = (hash ^ (field >> (8 * UInt64(byte)) & 0xff)) &* 0x100_0000_01b3 }
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static let current: ExecutableIdentity? = {
        var status = stat()
        guard stat("/proc/self/exe", &status) == 0 else { return nil }
        return ExecutableIdentity(size: Int64(status.st_size), modifiedSeconds: Int64(status.st_mtim.tv_sec),
                                  modifiedNanoseconds: Int64(status.st_mtim.tv_nsec), inode: UInt64(status.st_ino))
    }()
}

extension PackedWeightCache {
    /// The file's first bytes: what it was made from, where its buffers lie, and their checksum.
    /// Little-endian 64-bit fields; the data starts at a multiple of 64 bytes.
    struct Header {
        struct Identity: Equatable {
            var modelSHA256: String
            var level: String
            var executable: ExecutableIdentity
        }

        static let magic = Array("RLPACKW1".utf8)
        /// Magic, data start, buffer count, checksum, executable (4 fields), sha256 (64), level (16).
        static let fixedSize = 8 * 8 + 64 + 16

        var identity: Identity
        var checksum: UInt64
        var buffers: [(offset: Int, count: Int)]
        var dataStart: Int { Self.size(bufferCount: buffers.count) }

        init(identity: Identity, checksum: UInt64, buffers: [(offset: Int, count: Int)]) {
            self.identity = identity
            self.checksum = checksum
            self.buffers = buffers
        }

        /// Header bytes for `bufferCount` buffers, rounded up to 64.
        static func size(bufferCount: Int) -> Int { (fixedSize + 16 * bufferCount + 63) / 64 * 64 }

        /// Bytes a buffer of `floats` takes: whole 64-byte lines, then 64 bytes of zeros for
        /// kernels' vector tails.
        static func paddedBytes(floats: Int) -> Int { (floats * 4 + 63) / 64 * 64 + 64 }

        init?(reading file: UnsafeRawBufferPointer) {
            guard file.count >= Self.fixedSize, Array(file[0..<8]) == Self.magic else { return nil }
            func word(_ index: Int) -> UInt64 { UInt64(littleEndian: file.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
            let count = Int(truncatingIfNeeded: word(2))
            guard count >= 0, count <= (file.count - Self.fixedSize) / 16, Int(truncatingIfNeeded: word(1)) == Self.size(bufferCount: count) else { return nil }
            func text(_ range: Range<Int>) -> String { String(decoding: file[range].prefix { $0 != 0 }, as: UTF8.self) }
            identity = Identity(modelSHA256: text(64..<128), level: text(128..<144),
                                executable: ExecutableIdentity(size: Int64(bitPattern: word(4)), modifiedSeconds: Int64(bitPattern: word(5)),
                                                               modifiedNanoseconds: Int64(bitPattern: word(6)), inode: word(7)))
            checksum = word(3)
            buffers = (0..<count).map { i in
                let field = (Self.fixedSize + 16 * i) / 8
                return (Int(truncatingIfNeeded: word(field)), Int(truncatingIfNeeded: word(field + 1)))
            }
        }

        func write(into file: UnsafeMutableRawBufferPointer) {
            func put(_ value: UInt64, at index: Int) { file.storeBytes(of: value.littleEndian, toByteOffset: index * 8, as: UInt64.self) }
            file.copyBytes(from: Self.magic)
            put(UInt64(dataStart), at: 1)
            put(UInt64(buffers.count), at: 2)
            put(checksum, at: 3)
            let executable = identity.executable
            put(UInt64(bitPattern: executable.size), at: 4)
            put(UInt64(bitPattern: executable.modifiedSeconds), at: 5)
            put(UInt64(bitPattern: executable.modifiedNanoseconds), at: 6)
            put(executable.inode, at: 7)
            UnsafeMutableRawBufferPointer(rebasing: file[64..<128]).copyBytes(from: Array(identity.modelSHA256.utf8.prefix(64)))
            UnsafeMutableRawBufferPointer(rebasing: file[128..<144]).copyBytes(from: Array(identity.level.utf8.prefix(16)))
            for (i, place) in buffers.enumerated() {
                put(UInt64(place.offset), at: (Self.fixedSize + 16 * i) / 8)
                put(UInt64(place.count), at: (Self.fixedSize + 16 * i) / 8 + 1)
            }
        }

        /// A Fletcher-style sum over the file's 64-bit words in 8 lanes, its own field read as
        /// zero: any flipped bit changes it, and so does nearly any reordering. It guards against
        /// damage, not against forgery. `file.count` is a multiple of 64.
        static func checksum(_ file: UnsafeRawBufferPointer) -> UInt64 {
            var first = file.loadUnaligned(as: SIMD8<UInt64>.self)
            first[3] = 0
            var sum = first, weighted = first
            var offset = 64
            while offset + 64 <= file.count {
                sum &+= file.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt64>.self)
                weighted &+= sum
                offset += 64
            }
            // Folded through SplitMix64's finaliser, whose shifts carry every bit into every other
            // (a multiply alone does not: a flip in a word's top bits cancelled out).
            func mix(_ value: UInt64) -> UInt64 {
                var x = value
                x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
                x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
                return x ^ (x >> 31)
            }
            var hash = mix(UInt64(file.count))
            for lane in 0..<8 {
                hash = mix(hash ^ sum[lane])
                hash = mix(hash ^ weighted[lane])
            }
            return hash
        }
    }
}
