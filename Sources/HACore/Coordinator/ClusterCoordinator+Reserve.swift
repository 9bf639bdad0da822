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

    /// Moves groups online on reserve hosts to ordinary nodes where they fit (each reserve host at
    /// most `maxConcurrentMovesPerDrain` moves at a time, counting moves under way off it).
    mutating func emptyReserveHosts(_ candidates: [GroupID], _ load: inout ClusterLoad, _ out: inout Decisions) {
        var inFlight: [NodeID: Int] = [:]
        for s in states.values {
            if case .migrating(let a, _, _) = s.status, nodes[a]?.reserved == true { inFlight[a, default: 0] += 1 }
            if case .stopping(let a, _?) = s.status, nodes[a]?.reserved == true { inFlight[a, default: 0] += 1 }
        }
        let spares = Set(nodes.values.filter(\.reserved).map(\.id))
        for id in candidates {
            guard let def = definitions[id], var s = states[id], case .online(let here) = s.status,
                  inFlight[here, default: 0] < configuration.maxConcurrentMovesPerDrain else { continue }
            let decision = Placement.choose(for: def, in: load, excluding: spares, options: configuration.placement)
            guard let target = decision.node else { continue }  // no room elsewhere yet: it stays on the spare
            load.add(def, to: target)
            inFlight[here, default: 0] += 1
            startMove(def, &s, from: here, to: target, "\(here) is a reserve host and room appeared elsewhere: \(decision.reason)", &out)
            states[id] = s
        }
    }
}
