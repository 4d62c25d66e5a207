import Foundation

/// A parsed JSON document that tests read without force casts: `try json["findings"][0]["probability"].double()`
/// throws an error naming the path when the value is missing or of another type.
public struct JSON: @unchecked Sendable {
    /// The value as `JSONSerialization` gives it, nil where the path leads nowhere.
    public let value: Any?
    let path: String

    init(value: Any?, path: String) {
        self.value = value
        self.path = path
    }

    public init(_ data: Data) throws {
        self.init(value: try JSONSerialization.jsonObject(with: data), path: "$")
    }

    public init(contentsOf url: URL) throws {
        try self.init(Data(contentsOf: url))
    }

    public subscript(key: String) -> JSON {
        JSON(value: (value as? [String: Any])?[key], path: "\(path).\(key)")
    }

    public subscript(index: Int) -> JSON {
        let array = value as? [Any]
        return JSON(value: array.flatMap { index < $0.count ? $0[index] : nil }, path: "\(path)[\(index)]")
    }

    public struct Mismatch: Error, CustomStringConvertible {
        public var description: String
    }

    private func typed<T>(_ type: T.Type) throws -> T {
        guard let typed = value as? T else {
            throw Mismatch(description: "\(path): expected \(T.self), found \(value.map { "\($0)" } ?? "nothing")")
        }
        return typed
    }

    public func double() throws -> Double { try typed(NSNumber.self).doubleValue }
    public func int() throws -> Int { try typed(NSNumber.self).intValue }
    public func uint64() throws -> UInt64 { try typed(NSNumber.self).uint64Value }
    public func string() throws -> String { try typed(String.self) }
    public func ints() throws -> [Int] { try typed([Any].self).indices.map { try self[$0].int() } }
    public func strings() throws -> [String] { try typed([Any].self).indices.map { try self[$0].string() } }
    public func array() throws -> [JSON] { try typed([Any].self).indices.map { self[$0] } }
    /// The value as a dictionary, to edit and serialise again.
    public func object() throws -> [String: Any] { try typed([String: Any].self) }
}
