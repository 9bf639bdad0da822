import AgentAPI
import Foundation

/// Decodes a request body in the API's coding and refuses what the type would silently drop: a
/// field the type does not have (a typo such as `prority` must not pass as "no priority").
enum StrictJSON {
    static func decode<T: Codable>(_ type: T.Type, _ body: [UInt8]) throws(APIError) -> T {
        let data = Data(body)
        let value: T
        do { value = try APICoding.decode(type, data) } catch {
            throw APIError("malformed request body: \((error as? DecodingError)?.settingDescription ?? "\(error)")")
        }
        // The fields the type keeps are those it encodes again; any other field given is unknown.
        guard let given = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let kept = try? JSONSerialization.jsonObject(with: APICoding.encode(value), options: [.fragmentsAllowed])
        else { throw APIError("malformed request body: not JSON") }
        if let field = unknownField(given, kept, at: "") {
            throw APIError("malformed request body: unknown field '\(field)'")
        }
        return value
    }

    /// The path of the first field in `given` that `kept` lacks (a null counts as absent).
    private static func unknownField(_ given: Any, _ kept: Any, at path: String) -> String? {
        switch (given, kept) {
        case (let given as [String: Any], let kept as [String: Any]):
            for key in given.keys.sorted() where !(given[key] is NSNull) {
                let field = path.isEmpty ? key : "\(path).\(key)"
                guard let inner = kept[key] else { return field }
                if let found = unknownField(given[key]!, inner, at: field) { return found }
            }
            return nil
        case (let given as [Any], let kept as [Any]):
            for (index, pair) in zip(given, kept).enumerated() {
                if let found = unknownField(pair.0, pair.1, at: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
