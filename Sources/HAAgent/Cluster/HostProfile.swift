import Foundation
import HACore

/// Each agent's marker file in shared storage, `.vigil/hosts/<node>`, holding its current token.
enum StorageMarker {
    static func path(of node: NodeID, in storage: SharedStorage) -> String { "\(storage.root)/.vigil/hosts/\(node.rawValue)" }

    /// Writes a fresh token for `node` (atomically) and returns it.
    static func write(for node: NodeID, in storage: SharedStorage) throws -> String {
        let token = UUID().uuidString
        let path = path(of: node, in: storage)
        try FileSystem.createParent(of: path)
        try AtomicFile.write(token + "\n", to: path)
        return token
    }

    /// The token `node` wrote, as this host sees it; nil when its marker is not here.
    static func read(for node: NodeID, in storage: SharedStorage) -> String? {
        (try? String(contentsOfFile: path(of: node, in: storage), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
