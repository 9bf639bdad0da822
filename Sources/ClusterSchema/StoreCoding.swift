import Foundation

/// The one JSON coding of stored values (sorted keys, so equal values store equal bytes).
public enum StoreCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], key: String) throws(StoredValueError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw StoredValueError(key: key, problem: "\(error)")
        }
    }
}

/// A stored value that cannot be decoded: names the key.
public struct StoredValueError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let problem: String
    public init(key: String, problem: String) { self.key = key; self.problem = problem }
    public var description: String { "stored value at \(key) is unreadable: \(problem)" }
}
