import Foundation
import HACore

/// A node's membership record in the store (`nodes/<id>`, attached to the node's lease, so it
/// disappears when the node stops renewing). Uses HACore's model types.
public struct NodeRecord: Codable, Hashable, Sendable {
    public var id: NodeID
    public var capacity: NodeCapacity
    /// The agent's software version.
    public var version: String
    /// Administrative state: up, paused or draining while the lease is held.
    public var state: NodeState
    /// When the agent last renewed its lease and rewrote this record (wall clock).
    public var lastHeartbeat: Timestamp

    public init(id: NodeID, capacity: NodeCapacity, version: String, state: NodeState = .up,
                lastHeartbeat: Timestamp = .wallClockNow) {
        self.id = id; self.capacity = capacity; self.version = version
        self.state = state; self.lastHeartbeat = lastHeartbeat
    }

    /// The store key of a node's record.
    public static func key(_ id: NodeID) -> String { nodesPrefix + id.rawValue }
    /// The prefix under which all node records live.
    public static let nodesPrefix = "nodes/"

    func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return [UInt8](try e.encode(self))
    }

    static func decode(_ bytes: [UInt8]) throws -> NodeRecord {
        try JSONDecoder().decode(NodeRecord.self, from: Data(bytes))
    }
}

extension CoordinationStore {
    /// Every node record currently held by a live lease.
    public func nodes() async throws -> [NodeRecord] {
        try await list(prefix: NodeRecord.nodesPrefix).kvs.map { try NodeRecord.decode($0.value) }
    }
}

extension Timestamp {
    /// The wall clock now (the shell's clock; HACore itself never reads one).
    public static var wallClockNow: Timestamp { Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)) }
}
