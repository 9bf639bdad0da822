import AgentAPI
import Foundation

/// The shared secret that callers of the TCP API must present as `Authorization: Bearer <secret>`.
struct ClusterSecret: Sendable {
    private let secret: [UInt8]

    /// Reads the secret from a file that only root may read; refuses short or world-readable ones.
    init(path: String) throws {
        try PrivateFile.check(path, as: "cluster secret file")
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count >= 16 else { throw APIError("cluster secret in \(path) is shorter than 16 characters") }
        secret = Array(text.utf8)
    }

    init(secret: String) { self.secret = Array(secret.utf8) }

    /// The secret's bytes, as the key of peer heartbeat MACs.
    var keyBytes: [UInt8] { secret }

    /// Whether an `Authorization` header value carries the secret; compares in constant time.
    func authorizes(_ authorization: String?) -> Bool {
        guard let value = authorization, value.hasPrefix("Bearer ") else { return false }
        let offered = Array(value.dropFirst(7).utf8)
        guard offered.count == secret.count else { return false }
        return zip(offered, secret).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
