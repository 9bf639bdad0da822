/// The name of a cluster node (a hypervisor host), unique in the cluster.
public struct NodeID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
    public var description: String { rawValue }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
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
    /// Failed too often recently; takes no groups until an operator clears it.
    case quarantined
}
