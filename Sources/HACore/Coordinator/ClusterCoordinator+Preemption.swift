extension ClusterCoordinator {
    /// Priority preemption, as WSFC does it: a high- or medium-priority group that fits on no node
    /// takes offline just enough groups of lower priority on one node to fit there. It is placed
    /// first once they are offline (placement goes in priority order); they are re-placed wherever
    /// they still fit. Returns whether room is being made for the group.
    /// `s` is the state of `def`'s group (its alert is raised there).
    mutating func preempt(for def: GroupDefinition, _ s: inout GroupState, in load: ClusterLoad,
                          candidates: inout PreemptionCandidates?, _ out: inout Decisions) -> Bool {
        guard def.policy.priority < .low else { return false }
        if states.values.contains(where: { $0.phase.stoppingToMakeRoom == def.id }) { return true }
        var room = candidates ?? PreemptionCandidates(self)
        defer { candidates = room }
        guard let (node, victims) = room.cheapestRoom(for: def, in: load) else { return false }
        room.remove(victims.map(\.id), on: node)
        for v in victims {
            states[v.id]?.phase = .stopping(node, then: nil, GroupState.Pending(preemptedFor: def.id))
            out.add(.takeOffline(v.id, on: node, order: v.offlineOrder),
                    "preempted: \(def.id) (priority \(def.policy.priority.rawValue)) fits on no node; "
                    + "\(v.id) (priority \(v.policy.priority.rawValue)) goes offline to make room on \(node)")
        }
        alert(&s, "preempting", .warning, "\(def.id) fits on no node: taking \(Placement.summary(victims.map(\.id.rawValue))) "
              + "of lower priority offline on \(node) to make room", &out)
        return true
    }
}

/// The settled groups on each node that preemption could take offline, least important and
/// largest first; built once per reconcile pass, when a group first needs room.
struct PreemptionCandidates {
    private var byNode: [NodeID: [GroupDefinition]] = [:]

    init(_ coordinator: ClusterCoordinator) {
        for (id, s) in coordinator.states {
            guard case .online(let n) = s.status, let d = coordinator.definitions[id] else { continue }
            byNode[n, default: []].append(d)
        }
        byNode = byNode.mapValues { groups in
            groups.sorted { ($1.policy.priority, $1.memoryMiB, $0.id) < ($0.policy.priority, $0.memoryMiB, $1.id) }
        }
    }

    mutating func remove(_ groups: [GroupID], on node: NodeID) {
        byNode[node]?.removeAll { groups.contains($0.id) }
    }

    /// The node where the fewest, least important lower-priority groups must stop for `def` to fit.
    func cheapestRoom(for def: GroupDefinition, in load: ClusterLoad) -> (NodeID, [GroupDefinition])? {
        var best: (node: NodeID, victims: [GroupDefinition], rank: GroupPriority)?
        for node in load.nodes.sorted(by: { $0.id < $1.id }) where node.acceptsGroups && def.policy.allows(node.id) {
            let lower = (byNode[node.id] ?? []).prefix { $0.policy.priority > def.policy.priority }
            if lower.isEmpty { continue }
            var trial = load
            var victims: [GroupDefinition] = []
            for candidate in lower where Placement.rejection(of: node, for: def, in: trial, excluding: []) != nil {
                trial.remove(candidate, from: node.id)
                victims.append(candidate)
            }
            guard Placement.rejection(of: node, for: def, in: trial, excluding: []) == nil,
                  let rank = victims.map(\.policy.priority).min() else { continue }  // no victims: nothing to make room with
            // The most important victim decides the cost; then how many; then the node's name.
            if let b = best, rank < b.rank || (rank == b.rank && victims.count >= b.victims.count) { continue }
            best = (node.id, victims, rank)
        }
        return best.map { ($0.node, $0.victims) }
    }
}
