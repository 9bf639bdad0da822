/// Handlers for what shells report about groups, and operator move requests. Each works on the
/// group's definition and a copy of its state, which the caller stores (see `onGroup`).
extension ClusterCoordinator {
    mutating func resourceFailed(_ def: GroupDefinition, _ s: inout GroupState, _ r: ResourceID, _ n: NodeID,
                                 _ out: inout Decisions) {
        let g = def.id
        let recovering: Bool
        switch s.phase {
        case .online(n, _): recovering = false
        case .restarting(n, _, let rec): recovering = rec
        case .starting(n, let kind): recovering = kind != .start
        case .migrating(n, let to, let m, _):  // handled when the move ends
            s.phase = .migrating(from: n, to: to, m, failedOnSource: r)
            return
        default: return  // stale
        }
        let policy = def.policy.restart
        // On a host that cannot host groups now a restart would meet what keeps it from hosting: fail over at once.
        let impairment = nodes[n]?.impairment
        var window = s.restarts[n] ?? SlidingWindow()
        let restart = impairment == nil ? RestartBudget.take(&window, policy, at: out.now) : nil
        s.restarts[n] = window.times.isEmpty ? nil : window
        if let k = restart {
            s.phase = .restarting(n, r, recovering: recovering)
            out.add(.restartResource(g, r, on: n),
                    "\(r) of \(g) failed on \(n); restart \(k) of \(policy.threshold) allowed on \(n) within \(policy.period)")
        } else {
            s.phase = .stopping(n, then: nil, GroupState.Pending(recovering: GroupState.Recovering(avoid: n)))
            let why = impairment.map { "which cannot host groups now (\($0))" }
                ?? "after \(policy.threshold) restart(s) there within \(policy.period)"
            out.add(.takeOffline(g, on: n, order: def.offlineOrder), "\(r) of \(g) failed on \(n) \(why): take it offline to fail over")
        }
    }

    mutating func groupOnline(_ def: GroupDefinition, _ s: inout GroupState, _ n: NodeID, _ out: inout Decisions) {
        guard nodes[n]?.state != .down else { return }  // stale: the node's groups wait for its fence
        let g = def.id
        if case .stopped(let going) = s.phase {
            // An operator stopped it: it runs nowhere, whoever started it (a stale report from before
            // the stop, while its stop there is under way, needs nothing more).
            guard going != n else { return }
            s.possibleHosts.insert(n)
            s.phase = .stopped(on: n)
            return out.add(.takeOffline(g, on: n, order: def.offlineOrder),
                           "\(g) is stopped by an operator but was reported online on \(n): take it offline there")
        }
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
            s.phase = .stopping(n, then: believed, s.phase.pending)
            return out.add(.takeOffline(g, on: n, order: def.offlineOrder), "\(g) must never run on two nodes")
        }
        if s.phase.isRecovering, var times = s.recovery, times.online == nil {
            times.online = out.now
            s.recovery = times
        }
        s.phase = .online(n)
        s.possibleHosts = [n]
        s.lastHost = nil
        s.lastAlert = nil
    }

    /// A start was refused by disk locks: the group runs elsewhere (most likely where it last ran,
    /// under an agent that cannot be reached) or its old host's locks are still being released.
    /// Nothing failed: the failover is not counted, and the start is retried later.
    mutating func startRefusedLocked(_ g: GroupID, _ s: inout GroupState, _ n: NodeID, _ out: inout Decisions) {
        let recovering: Bool
        switch s.phase {
        case .starting(n, let kind):  // the first attempt, counted as a failover if it was one: not a failover after all
            if kind == .failover { s.failovers.dropLatest() }
            recovering = kind != .start
        case .diskLocked(_, _, let rec) where s.possibleHosts.contains(n): recovering = rec  // a retry, never counted
        default: return  // stale
        }
        s.possibleHosts.remove(n)
        let retry = out.now + configuration.lockRetryInterval
        s.phase = .diskLocked(holder: s.lastHost, retryAt: retry, recovering: recovering)
        let holder: String
        switch s.lastHost.flatMap({ nodes[$0] }) {
        case let h? where h.state == .down && h.fenceDeadline == nil:
            holder = "it is presumably still running on \(h.id), whose agent is unreachable (lease lost, death not proven)"
        case let h?:
            holder = "its last host \(h.id) still holds its disk locks (storage may still be releasing them)"
        case nil:
            holder = "another host holds its disks"
        }
        alert(&s, "locked", .warning, "start of \(g) on \(n) refused by disk locks: \(holder); not counted as a failure, retried every \(configuration.lockRetryInterval)", &out)
        wake(at: retry, "retry start of \(g) (disks locked)", &out)
    }

    mutating func groupOffline(_ def: GroupDefinition, _ s: inout GroupState, _ n: NodeID, _ out: inout Decisions) {
        s.possibleHosts.remove(n)
        if s.lastHost == n { s.lastHost = nil }  // its agent is back and says it does not run there
        switch s.phase {
        case .stopping(n, let then?, let pending) where nodes[then]?.acceptsGroups == true || s.possibleHosts.contains(then):
            s.phase = .starting(then, pending.recovering == nil ? .start : .recovery)
            s.possibleHosts.insert(then)
            out.add(.bringOnline(def.id, on: then, order: def.onlineOrder, cause: .move),
                    "cold move of \(def.id): offline on \(n), start it on \(then)")
        case .stopping(n, _, let pending):
            s.phase = .offline(pending)
        case .online(n, _), .starting(n, _), .restarting(n, _, _):
            s.phase = .offline(GroupState.Pending(recovering: GroupState.Recovering(avoid: n)))
        case .stopped(n?):
            stopConfirmed(def.id, &s, on: n, "offline on \(n)", &out)
        case .diskLocked(n?, _, let recovering):  // its holder's agent is back and does not run it: place it again
            s.phase = .offline(GroupState.Pending(recovering: recovering ? GroupState.Recovering() : nil))
        default: break
        }
    }

    mutating func moveFailed(_ def: GroupDefinition, _ s: inout GroupState, _ m: MoveMethod, _ source: NodeID,
                             _ running: NodeID?, targetUnreachable: Bool = false, _ out: inout Decisions) {
        guard case .migrating(let from, let to, m, let failedOnSource) = s.phase, from == source else {
            // A migration we had given up on (its target was fenced) stopped the guest after all.
            if running == nil, s.status == .online(source) { groupOffline(def, &s, source, &out) }
            return
        }
        let next = def.moveLadder.first { $0 > m } ?? .cold
        switch running {
        case to?: return groupOnline(def, &s, to, &out)
        case nil:
            guard nodes[to]?.acceptsGroups == true else {
                s.possibleHosts = []
                s.phase = .offline()
                return
            }
            s.phase = .starting(to)
            s.possibleHosts = [to]
            out.add(.bringOnline(def.id, on: to, order: def.onlineOrder, cause: .move),
                    "\(m) migration of \(def.id) to \(to) failed and left it stopped: start it on \(to)")
        case let n?:
            s.phase = .online(n, moveFloor: next)
            s.possibleHosts = [n]
            if let r = failedOnSource, n == from { return resourceFailed(def, &s, r, n, &out) }
            guard n == from, nodes[to]?.acceptsGroups == true else { return }
            if targetUnreachable {
                // Another method toward a host that stopped answering would only stop the guest here.
                s.phase = .online(n)
                return out.add(.raiseAlert(.warning), "\(m) migration of \(def.id) \(from)->\(to) failed: \(to) does not answer; \(def.id) stays on \(from)")
            }
            if let why = drainForbidsFallback(def.id, from: from, rungs: def.moveLadder.count) {
                // Stopped, not failed: a later move starts again from the best method.
                s.phase = .online(n)
                return out.add(.raiseAlert(.info), "\(m) migration of \(def.id) \(from)->\(to) ended without moving it: \(why)")
            }
            countDrainAttempt(def.id, from: from)
            startMove(def, &s, from: from, to: to, "\(m) migration of \(def.id) \(from)->\(to) failed: falling back to \(next)", &out)
        }
    }

    mutating func moveRequested(_ def: GroupDefinition, _ s: inout GroupState, _ to: NodeID?, _ out: inout Decisions) {
        let g = def.id
        var target: Node?
        if let t = to {
            guard let node = nodes[t] else { return out.add(.raiseAlert(.warning), "move of \(g) to unknown node \(t) refused") }
            guard !node.reserved else {
                return out.add(.raiseAlert(.warning), "move of \(g) to \(t) refused: \(t) is a reserve host, which takes groups only when no other node can (vigil node unreserve \(t) first)")
            }
            target = node
        }
        s.failovers.reset()  // an operator's request clears the failure history
        s.restarts = [:]
        switch s.phase {
        case .failed, .offline:
            // No failover pending, no node avoided: the request clears those too.
            s.phase = .offline(GroupState.Pending(request: GroupState.StartRequest(target: to), preemptedFor: s.phase.pending.preemptedFor))
            s.lastAlert = nil
        case .online(let n, _):
            let decision: PlacementDecision
            if let t = target {
                var load = clusterLoad()
                load.remove(def, from: n)
                let why = Placement.rejection(of: t, for: def, in: load, excluding: [])
                decision = why.map { .unplaced(reason: "\(t.id) \($0)") } ?? .placed(t.id, reason: "operator chose \(t.id)")
            } else {
                decision = Placement.choose(for: def, in: clusterLoad(), excluding: [n], options: configuration.placement)
            }
            guard let dest = decision.node else {
                return out.add(.raiseAlert(.warning), "move of \(g) refused: \(decision.reason)")
            }
            guard dest != n else { return out.add(.raiseAlert(.info), "move of \(g) ignored: it already runs on \(n)") }
            startMove(def, &s, from: n, to: dest, "operator asked to move \(g): \(decision.reason)", &out)
        case .stopped:
            out.add(.raiseAlert(.warning), "move of \(g) refused: it is stopped by an operator; start it with vigil group start")
        default:
            out.add(.raiseAlert(.warning), "move of \(g) refused: it is busy (\(s.status))")
        }
    }

    /// Starts moving an online group with the best allowed method at or after its move floor.
    func startMove(_ def: GroupDefinition, _ s: inout GroupState, from: NodeID, to: NodeID, _ why: String, _ out: inout Decisions) {
        var floor = MoveMethod.live
        if case .online(_, let f?) = s.phase { floor = f }
        let method = def.moveLadder.first { $0 >= floor } ?? .cold
        let g = def.id
        switch method {
        case .live:
            s.possibleHosts.insert(to)
            s.phase = .migrating(from: from, to: to, .live)
            out.add(.liveMigrate(g, from: from, to: to), why)
        case .quick:
            s.possibleHosts.insert(to)
            s.phase = .migrating(from: from, to: to, .quick)
            out.add(.quickMigrate(g, from: from, to: to), why)
        case .cold:
            s.phase = .stopping(from, then: to)
            out.add(.takeOffline(g, on: from, order: def.offlineOrder), "\(why) (cold move to \(to))")
        }
    }
}
