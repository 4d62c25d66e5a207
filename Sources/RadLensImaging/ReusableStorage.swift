extension PixelBuffer {
    /// Takes this buffer's 8-bit storage, resized to `count`, leaving `self` empty.
    /// The allocation is reused when it is big enough, so decoding image after image into
    /// one `Image` does not pay for fresh multi-megabyte buffers (and their page faults).
    mutating func takeUInt8(count: Int) -> [UInt8] {
        var storage: [UInt8] = []
        if case .uint8(let existing) = self { storage = existing }
        self = .uint8([])  // Drop our reference so `storage` is uniquely owned: no copy on write.
        resize(&storage, to: count)
        return storage
    }

    /// Takes this buffer's 16-bit storage, resized to `count`, leaving `self` empty.
    mutating func takeUInt16(count: Int) -> [UInt16] {
        var storage: [UInt16] = []
        if case .uint16(let existing) = self { storage = existing }
        self = .uint16([])
        resize(&storage, to: count)
        return storage
    }
}

private func resize<T: FixedWidthInteger>(_ storage: inout [T], to count: Int) {
    if storage.count > count {
        storage.removeLast(storage.count - count)
    } else if storage.count < count {
        storage.append(contentsOf: repeatElement(0, count: count - storage.count))
    }
}
