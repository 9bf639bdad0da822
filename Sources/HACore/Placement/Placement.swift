/// Options that shape every placement decision.
public struct PlacementOptions: Hashable, Codable, Sendable {
    /// If true, a group never shares a node with a group of the same anti-affinity class (it stays
    /// offline instead); if false (WSFC's default), such a node is used only when no other fits.
    public var strictAntiAffinity: Bool
    public init(strictAntiAffinity: Bool = false) { self.strictAntiAffinity = strictAntiAffinity }
}

/// The outcome of placing one group: a node and why, or why no node could take it.
public enum PlacementDecision: Hashable, Sendable {
    case placed(NodeID, reason: String)
    case unplaced(reason: String)

    /// The chosen node, if any.
    public var node: NodeID? { if case .placed(let n, _) = self { return n } else { return nil } }
    public var reason: String {
        switch self { case .placed(_, let r), .unplaced(let r): return r }
    }
}

/// Chooses an owner for a group: possible owners, preferred order, anti-affinity, capacity, spreading.
public enum Placement {
    /// Picks a node for `group` among nodes that accept groups, are possible owners, are not in
    /// `excluding`, and have the memory and vCPUs free. The first available preferred owner wins;
    /// otherwise the node with the fewest moves already headed to it (`incoming`), then the most free
    /// memory (spreading load, so that a drain never piles its groups on one host). Nodes holding a
    /// group of the same anti-affinity class are used only if nothing else fits (never, with strict
    /// anti-affinity). Reserve hosts (hot spares) are used only when no other node can take the group at all.
    public static func choose(for group: GroupDefinition, in cluster: ClusterLoad, excluding: Set<NodeID> = [],
                              options: PlacementOptions = PlacementOptions(), incoming: [NodeID: Int] = [:]) -> PlacementDecision {
        var rejected: [String] = []
        var ordinary = Tier()
        var reserve = Tier()
        for i in cluster.nodes.indices {
            if let why = rejection(at: i, for: group, in: cluster, excluding: excluding) {
                rejected.append("\(cluster.nodes[i].id) \(why)")
            } else if cluster.nodes[i].reserved {
                reserve.add(i, for: group, in: cluster)
            } else {
                ordinary.add(i, for: group, in: cluster)
            }
        }
        ordinary.incoming = incoming
        reserve.incoming = incoming
        if let decision = ordinary.choose(for: group, in: cluster, options: options, note: "") { return decision }
        let ordinaryAvoided = ordinary.avoided(in: cluster, for: group)
        let others = rejected + (options.strictAntiAffinity ? ordinaryAvoided : [])
        if let decision = reserve.choose(for: group, in: cluster, options: options,
                                         note: "; a reserve host: no other node can take it" + (others.isEmpty ? "" : " (\(summary(others)))")) {
            return decision
        }
        let all = others + (options.strictAntiAffinity ? reserve.avoided(in: cluster, for: group) : [])
        return .unplaced(reason: "no node can take \(group.id) (needs \(group.memoryMiB) MiB, \(group.vcpus) vCPUs): \(summary(all))")
    }

    /// The nodes of one placement tier (ordinary nodes, then reserve hosts) that can take a group:
    /// those without an anti-affinity conflict, and those with one.
    private struct Tier {
        var clean: [Int] = []
        var conflicting: [Int] = []
        /// Moves already headed to each node.
        var incoming: [NodeID: Int] = [:]

        mutating func add(_ i: Int, for group: GroupDefinition, in cluster: ClusterLoad) {
            if cluster.conflicts(group, at: i).isEmpty { clean.append(i) } else { conflicting.append(i) }
        }

        func avoided(in cluster: ClusterLoad, for group: GroupDefinition) -> [String] {
            conflicting.map { "\(cluster.nodes[$0].id) (anti-affinity \(cluster.conflicts(group, at: $0).joined(separator: ",")))" }
        }

        /// The tier's choice, or nil if no node of it can take the group.
        func choose(for group: GroupDefinition, in cluster: ClusterLoad, options: PlacementOptions, note tierNote: String) -> PlacementDecision? {
            let avoided = avoided(in: cluster, for: group)
            var candidates = clean
            var note = avoided.isEmpty ? "" : "; avoided \(summary(avoided))"
            if candidates.isEmpty && !options.strictAntiAffinity && !conflicting.isEmpty {
                candidates = conflicting
                note = "; shares an anti-affinity class: no other node fits"
            }
            guard !candidates.isEmpty else { return nil }
            note += tierNote
            for (rank, p) in group.policy.preferredOwners.enumerated() {
                guard let i = cluster.position(of: p), candidates.contains(i) else { continue }
                let what = rank == 0 ? "most preferred owner" : "preferred owner #\(rank + 1) (earlier ones unavailable)"
                return .placed(p, reason: "\(p) is the \(what)\(note)")
            }
            // Fewest moves headed there, then most free memory wins; on a tie, the first by name.
            func rank(_ i: Int) -> (Int, Int) { (-(incoming[cluster.nodes[i].id] ?? 0), cluster.freeMemoryMiB(at: i)) }
            var best = candidates[0]
            for i in candidates.dropFirst() where rank(i) > rank(best) { best = i }
            let id = cluster.nodes[best].id
            let busiest = candidates.map { incoming[cluster.nodes[$0].id] ?? 0 }.max() ?? 0
            let free = "the most free memory (\(cluster.freeMemoryMiB(at: best)) MiB)"
            let why = busiest > 0 ? "the fewest moves headed to it (\(incoming[id] ?? 0)), then \(free)," : free
            return .placed(id, reason: "\(id) has \(why) of \(candidates.count) eligible node(s)\(note)")
        }
    }

    /// Why `node` cannot take `group` at all, or nil if it can.
    static func rejection(of node: Node, for group: GroupDefinition, in cluster: ClusterLoad,
                          excluding: Set<NodeID>) -> String? {
        guard let i = cluster.position(of: node.id) else { return "unknown" }
        return rejection(at: i, for: group, in: cluster, excluding: excluding)
    }

    private static func rejection(at i: Int, for group: GroupDefinition, in cluster: ClusterLoad,
                                  excluding: Set<NodeID>) -> String? {
        let node = cluster.nodes[i]
        if !excluding.isEmpty && excluding.contains(node.id) { return "excluded" }
        if let impairment = node.impairment, node.state == .up { return "impaired: \(impairment)" }
        if !node.acceptsGroups { return node.state == .up ? "awaits its fence" : node.state.rawValue }
        if !group.policy.allows(node.id) { return "not a possible owner" }
        if cluster.freeMemoryMiB(at: i) < group.memoryMiB { return "has \(cluster.freeMemoryMiB(at: i)) MiB free" }
        if cluster.freeVCPUs(at: i) < group.vcpus { return "has \(cluster.freeVCPUs(at: i)) vCPUs free" }
        return nil
    }

    /// A readable list, cut after a few items for huge clusters.
    static func summary(_ items: [String], limit: Int = 6) -> String {
        if items.isEmpty { return "no nodes" }
        if items.count <= limit { return items.joined(separator: ", ") }
        return items.prefix(limit).joined(separator: ", ") + " and \(items.count - limit) more"
    }
}
