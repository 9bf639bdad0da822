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
    /// When the agent last renewed its lease and rewrote this record (wall clock; `Membership` sets
    /// it at every write).
    public var lastHeartbeat: Timestamp

    public init(id: NodeID, capacity: NodeCapacity, version: String, state: NodeState = .up,
                lastHeartbeat: Timestamp = .zero) {
        self.id = id; self.capacity = capacity; self.version = version
        self.state = state; self.lastHeartbeat = lastHeartbeat
    }
}
