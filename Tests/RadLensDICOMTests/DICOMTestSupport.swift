import Foundation
import RadLensImaging
import RadLensTestSupport

/// The DICOM fixtures: real files, pydicom references, the malformed corpus, the PHI file.
enum DICOMFixtures {
    static let folder = TestPaths.fixture("dicom")

    static func file(_ name: String) -> String { folder.appendingPathComponent("files/\(name)").path }

    static func open(_ name: String) throws -> DICOMFile { try DICOMFile(contentsOf: file(name)) }

    /// The reference JSON files (`<stem>.json`, `<stem>.modality.json`, `<stem>.rgb.json`).
    static var references: [String] {
        TestPaths.files(in: folder.appendingPathComponent("references"), extensions: ["json"])
            .map { $0.deletingPathExtension().lastPathComponent }
    }
}

/// A pixel reference written by make_references.py from pydicom.
struct PixelReference {
    var shape: [Int]
    var stride: Int
    var frame: Int
    var photometric: String?
    var sum: UInt64
    var weighted: UInt64
    var weighted2: UInt64
    var min: Double
    var max: Double
    var mean: Double
    /// Every `stride`-th row and column of the reference, as int32.
    var samples: [Int32]

    init(_ stem: String) throws {
        let base = DICOMFixtures.folder.appendingPathComponent("references/\(stem)")
        let json = try JSON(contentsOf: base.appendingPathExtension("json"))
        shape = try json["shape"].ints()
        stride = try json["stride"].int()
        frame = try json["frame"].int()
        photometric = json["photometric"].value as? String
        sum = try json["sum"].uint64()
        weighted = try json["weighted"].uint64()
        weighted2 = try json["weighted2"].uint64()
        min = try json["min"].double()
        max = try json["max"].double()
        mean = try json["mean"].double()
        let raw = try Data(contentsOf: URL(fileURLWithPath: base.path + ".i32"))
        samples = raw.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }.map { Int32(littleEndian: $0) }
    }

    var channels: Int { shape.count == 3 ? shape[2] : 1 }

    /// Compares `values` (row-major, interleaved, same shape) with the reference: whether the
    /// order-sensitive checksums match (exact equality of every value) and the largest
    /// difference over the stored samples.
    func compare(_ values: [Int]) -> (exact: Bool, maxDifference: Int, meanAbsDifference: Double) {
        var sum: UInt64 = 0, weighted: UInt64 = 0, weighted2: UInt64 = 0
        for (offset, value) in values.enumerated() {
            let v = UInt64(bitPattern: Int64(value))
            let index = UInt64(offset + 1)
            sum &+= v
            weighted &+= v &* index
            weighted2 &+= v &* ((index &* index) % 65521 + 1)
        }
        let exact = sum == self.sum && weighted == self.weighted && weighted2 == self.weighted2
        let rows = shape[0], columns = shape[1]
        var maxDifference = 0, total = 0, count = 0
        for row in Swift.stride(from: 0, to: rows, by: stride) {
            for column in Swift.stride(from: 0, to: columns, by: stride) {
                for channel in 0..<channels {
                    let value = values[(row * columns + column) * channels + channel]
                    let difference = abs(value - Int(samples[count]))
                    maxDifference = Swift.max(maxDifference, difference)
                    total += difference
                    count += 1
                }
            }
        }
        return (exact, maxDifference, Double(total) / Double(Swift.max(count, 1)))
    }
}

extension PixelBuffer {
    var ints: [Int] {
        switch self {
        case .uint8(let samples): samples.map { Int($0) }
        case .uint16(let samples): samples.map { Int($0) }
        }
    }
}
