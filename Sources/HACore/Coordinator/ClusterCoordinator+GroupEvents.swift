/// Handlers for what shells report about groups, and operator move requests.
extension ClusterCoordinator {
    mutating func resourceFailed(_ g: GroupID, _ r: ResourceID, _ n: NodeID, exhausted: Bool = false,
                                 _ out: inout Decisions) {
        switch states[g]!.status {
        case .online(n), .restarting(n, _), .starting(n): break
        case .migrating(n, _, _):  // handled when the move ends
            states[g]!.failedDuringMove = r
            states[g]!.failedDuringMoveExhausted = exhausted
            return
        default: return  // stale
        }
        let policy = definitions[g]!.policy.restart
        var window = states[g]!.restarts[n] ?? SlidingWindow()
        let restart = exhausted ? nil : RestartBudget.take(&window, policy, at: out.now)
        states[g]!.restarts[n] = window.times.isEmpty ? nil : window
        if let k = restart {
            states[g]!.status = .restarting(n, r)
            out.add(.restartResource(g, r, on: n),
                    "\(r) of \(g) failed on \(n); restart \(k) of \(policy.threshold) allowed on \(n) within \(policy.period)")
        } else {
            states[g]!.status = .stopping(n, then: nil)
            states[g]!.recovering = true
            states[g]!.avoid = n
            let why = exhausted ? "its node's restarts are used up" : "\(policy.threshold) restart(s) there within \(policy.period)"
            out.add(.takeOffline(g, on: n, order: definitions[g]!.offlineOrder),
                    "\(r) of \(g) failed on \(n) after \(why): take it offline to fail over")
        }
    }

    mutating func groupOnline(_ g: GroupID, _ n: NodeID, _ out: inout Decisions) {
        guard nodes[n]?.state != .down else { return }  // stale: the node's groups wait for its fence
        var s = states[g]!
        let nowhereElse = s.possibleHosts.subtracting([n]).isEmpty
        switch s.status {
        case .starting(n), .restarting(n, _), .migrating(_, n, _), .online(n): break
        case .stopping(n, _), .migrating(n, _, _): return  // stale report from before the stop/move
        // Running on n although the cluster had it nowhere: started by hand, or still running under an
        // agent that was unreachable (its disk locks refused every start elsewhere). Adopt it there.
        case .offline where nowhereElse, .failed where nowhereElse, .diskLocked where nowhereElse: break
        // A start elsewhere is in flight: its disk locks decide, and n reports again if it keeps running.
        case .starting, .diskLocked: return
        default:
            // Reported where we did not expect it: stop it there, then make sure it runs where we think.
            let believed = s.status.nodes.first { $0 != n }
            out.add(.raiseAlert(.critical), "\(g) reported online on \(n) while it may run on \(Placement.summary(s.possibleHosts.subtracting([n]).sorted().map(\.rawValue))): stopping it on \(n)")
            s.possibleHosts.insert(n)
            s.status = .stopping(n, then: believed)
            states[g] = s
            return out.add(.takeOffline(g, on: n, order: definitions[g]!.offlineOrder), "\(g) must never run on two nodes")
        }
        s.status = .online(n)
        s.possibleHosts = [n]
        s.lastHost = nil
        if s.recovery != nil, s.recovery!.online == nil, s.recovering { s.recovery!.online = out.now }
        s.failedDuringMove = nil
        s.recovering = false
        s.moveFloor = nil
        s.lastAlert = nil
        states[g] = s
    }

    /// A start was refused by disk locks: the group runs elsewhere (most likely where it last ran,
    /// under an agent that cannot be reached) or its old host's locks are still being released.
    /// Nothing failed: the failover is not counted, and the start is retried later.
    mutating func startRefusedLocked(_ g: GroupID, _ n: NodeID, _ out: inout Decisions) {
        var s = states[g]!
        switch s.status {
        case .starting(n):  // the first attempt, counted as a failover if it was one: not a failover after all
            if s.failoverCountedAt != nil { s.failovers.dropLatest() }
            s.failoverCountedAt = nil
        case .diskLocked where s.possibleHosts.contains(n): break  // a retry, never counted
        default: return  // stale
        }
        s.possibleHosts.remove(n)
        let retry = out.now + configuration.lockRetryInterval
        s.status = .diskLocked(holder: s.lastHost, retryAt: retry)
        states[g] = s
        let holder: String
        switch s.lastHost.flatMap({ nodes[$0] }) {
        case let h? where h.state == .down && h.fenceDeadline == nil:
            holder = "it is presumably still running on \(h.id), whose agent is unreachable (lease lost, death not proven)"
        case let h?:
            holder = "its last host \(h.id) still holds its disk locks (storage may still be releasing them)"
        case nil:
            holder = "another host holds its disks"
        }
        alert(g, "locked", .warning, "start of \(g) on \(n) refused by disk locks: \(holder); not counted as a failure, retried every \(configuration.lockRetryInterval)", &out)
        wake(at: retry, "retry start of \(g) (disks locked)", &out)
    }

    mutating func groupOffline(_ g: GroupID, _ n: NodeID, _ out: inout Decisions) {
        var s = states[g]!
        s.possibleHosts.remove(n)
        if s.lastHost == n { s.lastHost = nil }  // its agent is back and says it does not run there
        switch s.status {
        case .stopping(n, let then?) where nodes[then]?.acceptsGroups == true || s.possibleHosts.contains(then):
            s.status = .starting(then)
            s.possibleHosts.insert(then)
            out.add(.bringOnline(g, on: then, order: definitions[g]!.onlineOrder, cause: .move),
                    "cold move of \(g): offline on \(n), start it on \(then)")
        case .stopping(n, _):
            s.status = .offline
        case .online(n), .starting(n), .restarting(n, _):
            s.status = .offline
            s.recovering = true
            s.avoid = n
        case .diskLocked(n?, _):  // its holder's agent is back and does not run it: place it again
            s.status = .offline
        default: break
        }
        states[g] = s
    }

    mutating func moveFailed(_ g: GroupID, _ m: MoveMethod, _ source: NodeID, _ running: NodeID?, _ out: inout Decisions) {
        guard case .migrating(let from, let to, m) = states[g]!.status, from == source else {
            // A migration we had given up on (its target was fenced) stopped the guest after all.
            if running == nil, states[g]!.status == .online(source) { groupOffline(g, source, &out) }
            return
        }
        let next = definitions[g]!.moveLadder.first { $0 > m } ?? .cold
        states[g]!.moveFloor = next
        switch running {
        case to?: return groupOnline(g, to, &out)
        case nil:
            states[g]!.possibleHosts = []
            guard nodes[to]?.acceptsGroups == true else { states[g]!.status = .offline; return }
            states[g]!.status = .starting(to)
            states[g]!.possibleHosts = [to]
            out.add(.bringOnline(g, on: to, order: definitions[g]!.onlineOrder, cause: .move),
                    "\(m) migration of \(g) to \(to) failed and left it stopped: start it on \(to)")
        case let n?:
            states[g]!.status = .online(n)
            states[g]!.possibleHosts = [n]
            if let r = states[g]!.failedDuringMove, n == from {
                states[g]!.failedDuringMove = nil
                return resourceFailed(g, r, n, exhausted: states[g]!.failedDuringMoveExhausted, &out)
            }
            guard n == from, nodes[to]?.acceptsGroups == true else { return }
            startMove(g, from: from, to: to, "\(m) migration of \(g) \(from)->\(to) failed: falling back to \(next)", &out)
        }
    }

    mutating func moveRequested(_ g: GroupID, _ to: NodeID?, _ out: inout Decisions) {
        if let t = to, nodes[t] == nil { return out.add(.raiseAlert(.warning), "move of \(g) to unknown node \(t) refused") }
        states[g]!.failovers.reset()  // an operator's request clears the failure history
        states[g]!.restarts = [:]
        var s = states[g]!
        switch s.status {
        case .failed, .offline:
            s.status = .offline
            s.recovering = false
            s.startRequested = true
            s.requestedTarget = to
            s.lastAlert = nil
            states[g] = s
        case .online(let n):
            let decision: PlacementDecision
            if let t = to {
                var load = clusterLoad()
                load.remove(definitions[g]!, from: n)
                let why = Placement.rejection(of: nodes[t]!, for: definitions[g]!, in: load, excluding: [])
                decision = why.map { .unplaced(reason: "\(t) \($0)") } ?? .placed(t, reason: "operator chose \(t)")
            } else {
                decision = Placement.choose(for: definitions[g]!, in: clusterLoad(), excluding: [n],
                                            options: configuration.placement)
            }
            guard let target = decision.node else {
                return out.add(.raiseAlert(.warning), "move of \(g) refused: \(decision.reason)")
            }
            guard target != n else { return out.add(.raiseAlert(.info), "move of \(g) ignored: it already runs on \(n)") }
            startMove(g, from: n, to: target, "operator asked to move \(g): \(decision.reason)", &out)
        default:
            out.add(.raiseAlert(.warning), "move of \(g) refused: it is busy (\(s.status))")
        }
    }

    /// Starts moving an online group with the best allowed method at or after its move floor.
    mutating func startMove(_ g: GroupID, from: NodeID, to: NodeID, _ why: String, _ out: inout Decisions) {
        let def = definitions[g]!
        let floor = states[g]!.moveFloor ?? .live
        let method = def.moveLadder.first { $0 >= floor } ?? .cold
        states[g]!.possibleHosts.insert(to)
        switch method {
        case .live:
            states[g]!.status = .migrating(from: from, to: to, .live)
            out.add(.liveMigrate(g, from: from, to: to), why)
        case .quick:
            states[g]!.status = .migrating(from: from, to: to, .quick)
            out.add(.quickMigrate(g, from: from, to: to), why)
        case .cold:
            states[g]!.possibleHosts.remove(to)
            states[g]!.status = .stopping(from, then: to)
            out.add(.takeOffline(g, on: from, order: def.offlineOrder), "\(why) (cold move to \(to))")
        }
    }
}
