/// Reserve hosts (the seed's hot spare): placement uses one only when no other node can take a
/// group (see `Placement.choose`); once room appears elsewhere, the leader moves its groups off it
/// again, live where the group allows, a few at a time.
extension ClusterCoordinator {
    mutating func setReserved(_ n: NodeID, _ reserved: Bool, _ out: inout Decisions) {
        guard var node = nodes[n] else { return out.add(.raiseAlert(.warning), "event names unknown node \(n); ignored") }
        guard node.reserved != reserved else {
            return out.add(.raiseAlert(.info), "\(n) is already \(reserved ? "a reserve host" : "no reserve host")")
        }
        node.reserved = reserved
        nodes[n] = node
        out.add(.raiseAlert(.info), reserved
                ? "\(n) is a reserve host: it takes groups only when no other node can, and gives them back when room appears elsewhere"
                : "\(n) is no longer a reserve host: it takes groups like any node")
    }

    /// Moves groups online on reserve hosts to ordinary nodes where they fit, within the move budget
    /// (per source node and per cluster, counting moves under way).
    mutating func emptyReserveHosts(_ candidates: [GroupID], _ moves: inout MoveBudget, _ load: inout ClusterLoad, _ out: inout Decisions) {
        let spares = Set(nodes.values.filter(\.reserved).map(\.id))
        for id in candidates {
            guard let def = definitions[id], var s = states[id], case .online(let here) = s.status, moves.allows(from: here) else { continue }
            let decision = Placement.choose(for: def, in: load, excluding: spares, options: configuration.placement, incoming: moves.incoming)
            guard let target = decision.node else { continue }  // no room elsewhere yet: it stays on the spare
            load.add(def, to: target)
            moves.count(from: here, to: target)
            startMove(def, &s, from: here, to: target, "\(here) is a reserve host and room appeared elsewhere: \(decision.reason)", &out)
            states[id] = s
        }
    }
}
