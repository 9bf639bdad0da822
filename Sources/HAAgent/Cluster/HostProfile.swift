import DomainXML
import Foundation
import HACore

/// What a host offers the VMs that may run on it, published in its agent record so that the HA
/// wizard on any host can check a VM against every possible owner before it becomes HA.
public struct HostProfile: Codable, Sendable, Equatable {
    /// Guest architectures, domain types and machine types this host's libvirt offers.
    public var capabilities: HostCapabilities
    /// The shared storage directory this host uses.
    public var sharedStorage: String
    /// A token the host wrote into shared storage at start-up (see `StorageMarker`): a host that
    /// reads the same token there sees the same storage, not a local directory of the same name.
    public var storageToken: String

    public init(capabilities: HostCapabilities, sharedStorage: String, storageToken: String) {
        self.capabilities = capabilities
        self.sharedStorage = sharedStorage
        self.storageToken = storageToken
    }
}

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
