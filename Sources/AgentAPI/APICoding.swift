import Foundation

/// The one JSON coding of the agent's API, for vigild and the vigil CLI alike (pretty and sorted,
/// so answers read well and equal values print equal text).
public enum APICoding {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }

    /// One value as one line of compact JSON (sorted keys): a stream of them is NDJSON, for `jq -c`
    /// and log shippers.
    public static func encodeLine<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
