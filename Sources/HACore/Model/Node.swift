/// The name of a cluster node (a hypervisor host), unique in the cluster.
public struct NodeID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// What a node offers to HA guests: memory and vCPUs, plus a reserve kept back for the host itself.
public struct NodeCapacity: Hashable, Codable, Sendable {
    /// Memory in MiB the node can give to guests in total.
    public var memoryMiB: Int
    /// Virtual CPUs the node can give to guests in total.
    public var vcpus: Int
    /// Memory in MiB never handed out to guests (host overhead, headroom).
    public var reservedMemoryMiB: Int

    public init(memoryMiB: Int, vcpus: Int, reservedMemoryMiB: Int = 0) {
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.reservedMemoryMiB = reservedMemoryMiB
    }
}

/// A node's administrative and health state as the cluster sees it.
public enum NodeState: String, Hashable, Codable, Sendable, CaseIterable {
    /// Member of the cluster, lease held, may own groups.
    case up
    /// Lease lost or expired; its groups wait for fencing before moving.
    case down
    /// Up, but takes no new groups (an operator paused it); keeps what it runs.
    case paused
    /// Up, moving every group away; takes no new groups.
    case draining
    /// Failed too often recently; takes no groups until its quarantine ends or an operator clears it.
    case quarantined
}


/// A node as the coordinator tracks it: capacity, state, and what it knows about its lease and fencing.
public struct Node: Hashable, Codable, Sendable {
    public let id: NodeID
    public var capacity: NodeCapacity
    public var state: NodeState
    /// Set when the node's lease is lost: until then (or an explicit fence) its groups may still run
    /// there, so they wait. Nil when nothing waits for this node to be fenced.
    public var fenceDeadline: Timestamp?
    /// When a quarantine ends on its own; nil when not quarantined or until an operator resumes it.
    public var quarantinedUntil: Timestamp?
    /// Set by a new leader for a member that has not renewed its lease under it yet: it counts as lost
    /// only if it has not renewed by then. Its groups stay where they are meanwhile.
    public var unconfirmedUntil: Timestamp?
    /// Since when its peers cannot hear it while it holds its lease (it is being fenced); takes no groups.
    public var suspectedSince: Timestamp?
    /// When its loss was first detected (suspicion or lease loss), until it joins again.
    public var lostAt: Timestamp?
    /// A reserve host (a hot spare, `vigil node reserve`): placement uses it only when no other node
    /// can take a group, and the leader moves groups off it again when room appears elsewhere. An
    /// operator's setting, kept whatever the node's state (a lost reserve host comes back a reserve).
    public var reserved: Bool
    /// Its latest drain (absent if it was never drained), kept until the next one.
    public var drain: DrainRecord?
    /// Why its agent says the host cannot host groups now (libvirtd does not answer, shared storage
    /// fails), as it reported; nil while it can. Takes no groups meanwhile; keeps what runs there.
    public var impairment: String?

    public init(id: NodeID, capacity: NodeCapacity, state: NodeState = .up, reserved: Bool = false) {
        self.id = id
        self.capacity = capacity
        self.state = state
        self.fenceDeadline = nil
        self.quarantinedUntil = nil
        self.unconfirmedUntil = nil
        self.suspectedSince = nil
        self.lostAt = nil
        self.reserved = reserved
        self.drain = nil
        self.impairment = nil
    }

    /// True if the node may be given new groups: up, not waiting to be fenced for an older lease, and
    /// not reported impaired by its agent.
    public var acceptsGroups: Bool {
        state == .up && fenceDeadline == nil && unconfirmedUntil == nil && suspectedSince == nil && impairment == nil
    }
}

/// Stored as before the reserve flag existed when the node is no reserve host, so older records and
/// today's ordinary nodes are the same bytes; a record without the flag is no reserve host.
extension Node {
    enum CodingKeys: String, CodingKey {
        case id, capacity, state, fenceDeadline, quarantinedUntil, unconfirmedUntil, suspectedSince, lostAt, reserved, drain, impairment
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(NodeID.self, forKey: .id), capacity: try c.decode(NodeCapacity.self, forKey: .capacity),
                  state: try c.decode(NodeState.self, forKey: .state))
        fenceDeadline = try c.decodeIfPresent(Timestamp.self, forKey: .fenceDeadline)
        quarantinedUntil = try c.decodeIfPresent(Timestamp.self, forKey: .quarantinedUntil)
        unconfirmedUntil = try c.decodeIfPresent(Timestamp.self, forKey: .unconfirmedUntil)
        suspectedSince = try c.decodeIfPresent(Timestamp.self, forKey: .suspectedSince)
        lostAt = try c.decodeIfPresent(Timestamp.self, forKey: .lostAt)
        reserved = try c.decodeIfPresent(Bool.self, forKey: .reserved) ?? false
        drain = try c.decodeIfPresent(DrainRecord.self, forKey: .drain)
        impairment = try c.decodeIfPresent(String.self, forKey: .impairment)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(state, forKey: .state)
        try c.encodeIfPresent(fenceDeadline, forKey: .fenceDeadline)
        try c.encodeIfPresent(quarantinedUntil, forKey: .quarantinedUntil)
        try c.encodeIfPresent(unconfirmedUntil, forKey: .unconfirmedUntil)
        try c.encodeIfPresent(suspectedSince, forKey: .suspectedSince)
        try c.encodeIfPresent(lostAt, forKey: .lostAt)
        if reserved { try c.encode(reserved, forKey: .reserved) }
        try c.encodeIfPresent(drain, forKey: .drain)
        try c.encodeIfPresent(impairment, forKey: .impairment)
    }
}
