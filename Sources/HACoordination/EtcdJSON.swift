import Foundation

/// Encoding and decoding of etcd's v3 JSON gateway bodies: base64 keys and values, int64 as
/// strings, defaults omitted.
enum EtcdJSON {
    static func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
    static func b64(_ b: [UInt8]) -> String { Data(b).base64EncodedString() }

    static func bytes(_ any: Any?) -> [UInt8] {
        guard let s = any as? String, let d = Data(base64Encoded: s) else { return [] }
        return [UInt8](d)
    }

    /// An int64 field: a string, a number, or omitted (0).
    static func int(_ any: Any?) -> Int64 {
        if let s = any as? String { return Int64(s) ?? 0 }
        if let n = any as? NSNumber { return n.int64Value }
        return 0
    }

    /// The end of the range of keys starting with `prefix` (etcd's prefix-end convention).
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = [UInt8](prefix.utf8)
        while let last = bytes.last {
            if last < 0xff { bytes[bytes.count - 1] = last + 1; return Data(bytes).base64EncodedString() }
            bytes.removeLast()
        }
        return b64([0])  // whole key space
    }

    static func revision(_ json: [String: Any]) -> Revision {
        int((json["header"] as? [String: Any])?["revision"])
    }

    /// A key-value from the gateway, with the cluster prefix removed.
    static func keyValue(_ any: Any?, prefix: String) -> KeyValue? {
        guard let kv = any as? [String: Any] else { return nil }
        let key = String(decoding: bytes(kv["key"]).dropFirst(prefix.utf8.count), as: UTF8.self)
        let lease = int(kv["lease"])
        return KeyValue(key: key, value: bytes(kv["value"]),
                        createRevision: int(kv["create_revision"]), modRevision: int(kv["mod_revision"]),
                        version: int(kv["version"]), lease: lease == 0 ? nil : LeaseID(lease))
    }

    static func compare(_ c: Comparison, prefix: String) -> [String: Any] {
        switch c {
        case .modRevision(let k, let r):
            return ["key": b64(prefix + k), "target": "MOD", "result": "EQUAL", "mod_revision": String(r)]
        case .createRevision(let k, let r):
            return ["key": b64(prefix + k), "target": "CREATE", "result": "EQUAL", "create_revision": String(r)]
        case .value(let k, let v):
            return ["key": b64(prefix + k), "target": "VALUE", "result": "EQUAL", "value": b64(v)]
        }
    }

    static func op(_ op: TransactionOp, prefix: String) -> [String: Any] {
        switch op {
        case .put(let k, let v, let lease): return ["request_put": put(prefix + k, v, lease)]
        case .delete(let k): return ["request_delete_range": ["key": b64(prefix + k)]]
        case .get(let k): return ["request_range": ["key": b64(prefix + k)]]
        }
    }

    static func put(_ fullKey: String, _ value: [UInt8], _ lease: LeaseID?) -> [String: Any] {
        var body: [String: Any] = ["key": b64(fullKey), "value": b64(value)]
        if let lease { body["lease"] = String(lease.rawValue) }
        return body
    }

    /// The events of one watch response line, in order.
    static func events(_ result: [String: Any], prefix: String) -> [WatchEvent] {
        ((result["events"] as? [Any]) ?? []).compactMap { any in
            guard let e = any as? [String: Any], let kv = keyValue(e["kv"], prefix: prefix) else { return nil }
            return (e["type"] as? String) == "DELETE" ? .delete(key: kv.key, revision: kv.modRevision) : .put(kv)
        }
    }
}
