/// Free capacity left on one node.
public struct NodeHeadroom: Hashable, Codable, Sendable {
    public let node: NodeID
    public let freeMemoryMiB: Int
    public let freeVCPUs: Int
    public let groups: Int
}

/// The result of "what if these nodes failed": where their groups would go and which would not fit.
public struct WhatIfResult: Hashable, Sendable {
    public let failing: [NodeID]
    /// Groups that would move, and where to.
    public let placements: [GroupID: NodeID]
    /// Groups that would not fit anywhere, with the reason.
    public let unplaced: [GroupID: String]
    public var allPlaced: Bool { unplaced.isEmpty }
}

/// The answer to "can the cluster lose any `count` nodes and still place every HA group?".
public struct LossToleranceReport: Hashable, Sendable {
    public let count: Int
    public let combinationsChecked: Int
    public let totalCombinations: Int
    /// False if there were more combinations than the limit (the most loaded nodes were tried first).
    public var exhaustive: Bool { combinationsChecked == totalCombinations }
    /// Node sets whose loss leaves some group unplaced (up to the first 20 found).
    public let failingSets: [WhatIfResult]
    /// Every group that fails to fit in at least one checked combination.
    public let groupsAtRisk: Set<GroupID>
    public var survives: Bool { groupsAtRisk.isEmpty }
}

/// Capacity planning over a snapshot: headroom, what-if for named nodes, and N+x loss tolerance.
public struct CapacityPlanner: Sendable {
    public let nodes: [Node]
    public let groups: [GroupDefinition]
    /// Current owner of each running group; groups without one are placed too unless `noAutoStart`.
    public let owners: [GroupID: NodeID]
    public let options: PlacementOptions

    public init(nodes: [Node], groups: [GroupDefinition], owners: [GroupID: NodeID],
                options: PlacementOptions = PlacementOptions()) {
        self.nodes = nodes.sorted { $0.id < $1.id }
        self.groups = groups.sorted { ($0.policy.priority, $0.id) < ($1.policy.priority, $1.id) }
        self.owners = owners
        self.options = options
    }

    private func load(without failing: Set<NodeID>) -> ClusterLoad {
        var cluster = ClusterLoad(nodes: nodes)
        for n in failing { cluster.setState(.down, of: n) }
        for g in groups { if let o = owners[g.id], !failing.contains(o) { cluster.add(g, to: o) } }
        return cluster
    }

    /// Free memory and vCPUs per node with today's owners.
    public func headroom() -> [NodeHeadroom] {
        let cluster = load(without: [])
        return nodes.map { n in
            NodeHeadroom(node: n.id, freeMemoryMiB: cluster.freeMemoryMiB(n.id), freeVCPUs: cluster.freeVCPUs(n.id),
                         groups: cluster.load(of: n.id).groups)
        }
    }

    /// Places the groups of `failing` (and unowned HA groups) on the rest, in priority order.
    public func whatIf(failing: Set<NodeID>) -> WhatIfResult {
        var cluster = load(without: failing)
        var placements: [GroupID: NodeID] = [:]
        var unplaced: [GroupID: String] = [:]
        for g in groups {
            let owner = owners[g.id]
            let displaced = owner.map { failing.contains($0) } ?? (g.policy.priority != .noAutoStart)
            guard displaced, g.policy.priority != .noAutoStart else { continue }
            switch Placement.choose(for: g, in: cluster, options: options) {
            case .placed(let n, _): cluster.add(g, to: n); placements[g.id] = n
            case .unplaced(let why): unplaced[g.id] = why
            }
        }
        return WhatIfResult(failing: failing.sorted(), placements: placements, unplaced: unplaced)
    }

    /// Checks every set of `count` up nodes (at most `limit` sets, most loaded nodes first).
    public func lossTolerance(count: Int, limit: Int = 10_000) -> LossToleranceReport {
        let cluster = load(without: [])
        let up = nodes.filter(\.acceptsGroups).map(\.id).sorted {
            let (la, lb) = (cluster.load(of: $0).memoryMiB, cluster.load(of: $1).memoryMiB)
            return la != lb ? la > lb : $0 < $1
        }
        let total = Self.binomial(up.count, count)
        var checked = 0
        var failingSets: [WhatIfResult] = []
        var atRisk = Set<GroupID>()
        Self.combinations(of: up.count, choose: count) { indices in
            guard checked < limit else { return false }
            checked += 1
            let result = whatIf(failing: Set(indices.map { up[$0] }))
            if !result.allPlaced {
                atRisk.formUnion(result.unplaced.keys)
                if failingSets.count < 20 { failingSets.append(result) }
            }
            return true
        }
        return LossToleranceReport(count: count, combinationsChecked: checked, totalCombinations: total,
                                   failingSets: failingSets, groupsAtRisk: atRisk)
    }

    /// The x of N+x: how many nodes the cluster as configured (reserve hosts included) can lose, in
    /// any combination checked, and still place every HA group; at most `maximum` (default: all up
    /// nodes but one). Each count is checked as `lossTolerance` does, up to `limit` sets.
    public func toleratedFailures(maximum: Int? = nil, limit: Int = 10_000) -> Int {
        let up = nodes.filter(\.acceptsGroups).count
        var tolerated = 0
        for count in stride(from: 1, through: min(maximum ?? up - 1, up), by: 1) {
            guard lossTolerance(count: count, limit: limit).survives else { break }
            tolerated = count
        }
        return tolerated
    }

    static func binomial(_ n: Int, _ k: Int) -> Int {
        guard k >= 0, k <= n else { return 0 }
        var r = 1
        for i in 0..<min(k, n - k) {
            let (m, overflow) = r.multipliedReportingOverflow(by: n - i)
            if overflow { return Int.max }
            r = m / (i + 1)
        }
        return r
    }

    /// Calls `body` with each k-subset of 0..<n in lexicographic order until it returns false.
    static func combinations(of n: Int, choose k: Int, _ body: ([Int]) -> Bool) {
        guard k >= 0, k <= n else { return }
        var idx = Array(0..<k)
        while true {
            if !body(idx) { return }
            var i = k - 1
            while i >= 0 && idx[i] == n - k + i { i -= 1 }
            if i < 0 { return }
            idx[i] += 1
            for j in (i + 1)..<k { idx[j] = idx[j - 1] + 1 }
        }
    }
}
