/// What is committed to one node: memory, vCPUs and the anti-affinity classes of its groups.
public struct NodeLoad: Hashable, Sendable {
    public var memoryMiB = 0
    public var vcpus = 0
    public var groups = 0
    /// Anti-affinity class name -> number of groups on the node carrying it.
    public var classes: [String: Int] = [:]
    public init() {}

    mutating func add(_ g: GroupDefinition, sign: Int) {
        memoryMiB += sign * g.memoryMiB
        vcpus += sign * g.vcpus
        groups += sign
        for c in g.policy.antiAffinityClasses {
            let n = (classes[c] ?? 0) + sign
            classes[c] = n == 0 ? nil : n
        }
    }
}

/// Nodes with their capacity, state and committed load: the input to placement and capacity planning.
public struct ClusterLoad: Sendable {
    public private(set) var nodes: [NodeID: Node]
    /// Node IDs in name order (placement scans them deterministically).
    public private(set) var nodeOrder: [NodeID]
    public private(set) var load: [NodeID: NodeLoad]

    public init(nodes: [Node]) {
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) })
        self.nodeOrder = nodes.map(\.id).sorted()
        self.load = [:]
    }

    /// Commits `group` to `node` (it runs there or is on its way).
    public mutating func add(_ group: GroupDefinition, to node: NodeID) { load[node, default: NodeLoad()].add(group, sign: 1) }
    /// Releases what `group` held on `node`.
    public mutating func remove(_ group: GroupDefinition, from node: NodeID) { load[node, default: NodeLoad()].add(group, sign: -1) }
    /// Replaces a node's state (e.g. to ask "what if these nodes failed").
    public mutating func setState(_ state: NodeState, of node: NodeID) { nodes[node]?.state = state }

    /// Memory still free for guests on `node`, after its reserve.
    public func freeMemoryMiB(_ node: NodeID) -> Int {
        guard let n = nodes[node] else { return 0 }
        return n.capacity.memoryMiB - n.capacity.reservedMemoryMiB - (load[node]?.memoryMiB ?? 0)
    }
    /// vCPUs still free for guests on `node`.
    public func freeVCPUs(_ node: NodeID) -> Int {
        guard let n = nodes[node] else { return 0 }
        return n.capacity.vcpus - (load[node]?.vcpus ?? 0)
    }
    /// True if `group` fits into what is free on `node`.
    public func fits(_ group: GroupDefinition, on node: NodeID) -> Bool {
        freeMemoryMiB(node) >= group.memoryMiB && freeVCPUs(node) >= group.vcpus
    }
    /// Anti-affinity classes of `group` already present on `node`.
    public func conflicts(_ group: GroupDefinition, on node: NodeID) -> [String] {
        guard let l = load[node], !l.classes.isEmpty else { return [] }
        return group.policy.antiAffinityClasses.filter { l.classes[$0] != nil }.sorted()
    }
}
