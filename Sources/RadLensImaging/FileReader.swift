import Glibc

/// Reads whole files into a reusable byte buffer with plain POSIX calls.
public enum FileReader {
    /// Reads the file at `path` into `buffer`, replacing its contents and reusing its allocation.
    /// Files larger than `maxBytes` are refused before anything is read.
    public static func read(_ path: String, into buffer: inout [UInt8], maxBytes: Int = 1 << 31) throws(DecodeError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DecodeError(.unreadable, path: path, reason: systemError("cannot open file")) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DecodeError(.unreadable, path: path, reason: systemError("cannot stat file")) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw DecodeError(.unreadable, path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw DecodeError(.badDimensions, path: path, reason: "file is \(size) bytes, over the \(maxBytes)-byte limit")
        }
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(size)
        buffer.append(contentsOf: repeatElement(0, count: size))
        var offset = 0
        while offset < size {
            let got = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + offset, size - offset)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw DecodeError(.unreadable, path: path, reason: systemError("read failed"))
            }
            if got == 0 { break }  // The file shrank while we read it.
            offset += got
        }
        if offset < size { buffer.removeLast(size - offset) }
    }

    /// Reads the whole file at `path`.
    public static func read(_ path: String, maxBytes: Int = 1 << 31) throws(DecodeError) -> [UInt8] {
        var buffer: [UInt8] = []
        try read(path, into: &buffer, maxBytes: maxBytes)
        return buffer
    }
}

func systemError(_ what: String) -> String {
    "\(what): \(String(cString: strerror(errno)))"
}
