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
/// Stored as arrays in name order so placement scans nodes without hashing.
public struct ClusterLoad: Sendable {
    /// The nodes, in name order.
    public private(set) var nodes: [Node]
    /// What is committed to each node, aligned with `nodes`.
    public private(set) var loads: [NodeLoad]
    private let index: [NodeID: Int]

    public init(nodes: [Node]) {
        self.nodes = nodes.sorted { $0.id < $1.id }
        self.loads = Array(repeating: NodeLoad(), count: nodes.count)
        self.index = Dictionary(uniqueKeysWithValues: self.nodes.enumerated().map { ($1.id, $0) })
    }

    /// Position of a node in `nodes`.
    public func position(of node: NodeID) -> Int? { index[node] }
    /// What is committed to `node`.
    public func load(of node: NodeID) -> NodeLoad { index[node].map { loads[$0] } ?? NodeLoad() }

    /// Commits `group` to `node` (it runs there or is on its way).
    public mutating func add(_ group: GroupDefinition, to node: NodeID) { if let i = index[node] { loads[i].add(group, sign: 1) } }
    /// Releases what `group` held on `node`.
    public mutating func remove(_ group: GroupDefinition, from node: NodeID) { if let i = index[node] { loads[i].add(group, sign: -1) } }
    /// Replaces a node's state (e.g. to ask "what if these nodes failed").
    public mutating func setState(_ state: NodeState, of node: NodeID) { if let i = index[node] { nodes[i].state = state } }

    /// Memory still free for guests on the node at `i`, after its reserve.
    public func freeMemoryMiB(at i: Int) -> Int {
        nodes[i].capacity.memoryMiB - nodes[i].capacity.reservedMemoryMiB - loads[i].memoryMiB
    }
    /// vCPUs still free for guests on the node at `i`.
    public func freeVCPUs(at i: Int) -> Int { nodes[i].capacity.vcpus - loads[i].vcpus }
    /// Anti-affinity classes of `group` already present on the node at `i`.
    public func conflicts(_ group: GroupDefinition, at i: Int) -> [String] {
        if loads[i].classes.isEmpty || group.policy.antiAffinityClasses.isEmpty { return [] }
        return group.policy.antiAffinityClasses.filter { loads[i].classes[$0] != nil }.sorted()
    }

    /// Memory still free for guests on `node`, after its reserve.
    public func freeMemoryMiB(_ node: NodeID) -> Int { index[node].map(freeMemoryMiB(at:)) ?? 0 }
    /// vCPUs still free for guests on `node`.
    public func freeVCPUs(_ node: NodeID) -> Int { index[node].map(freeVCPUs(at:)) ?? 0 }
    /// True if `group` fits into what is free on `node`.
    public func fits(_ group: GroupDefinition, on node: NodeID) -> Bool {
        freeMemoryMiB(node) >= group.memoryMiB && freeVCPUs(node) >= group.vcpus
    }
    /// Anti-affinity classes of `group` already present on `node`.
    public func conflicts(_ group: GroupDefinition, on node: NodeID) -> [String] {
        index[node].map { conflicts(group, at: $0) } ?? []
    }
}
