/// After every event: fencing deadlines, then placement of offline groups, drains and failbacks.
extension ClusterCoordinator {
    mutating func reconcile(_ out: inout Decisions) {
        for id in nodes.keys.sorted() {
            if let until = nodes[id]?.unconfirmedUntil, until <= out.now {
                nodes[id]?.unconfirmedUntil = nil
                out.add(.raiseAlert(.warning), "\(id) did not renew its membership within the start-up grace (\(configuration.startupGrace))")
                leaseLost(id, &out)
            }
            if let deadline = nodes[id]?.fenceDeadline, deadline <= out.now {
                fence(id, "fencing margin of \(id) passed (lease lost + \(configuration.fencingMargin))", proven: false, &out)
            }
            if var node = nodes[id], node.state == .quarantined, let until = node.quarantinedUntil, until <= out.now {
                node.state = .up
                node.quarantinedUntil = nil
                nodes[id] = node
                out.add(.raiseAlert(.info), "quarantine of \(id) ended after \(configuration.quarantineDuration): it takes groups again")
            }
        }
        var survey = survey(at: out.now)
        placeOfflineGroups(survey.offline, &survey.load, &out)
        retryLockedStarts(survey.lockedRetries, &survey.load, &out)
        for (id, progress) in survey.draining.sorted(by: { $0.key < $1.key }) { drain(id, progress, &survey.moves, &survey.load, &out) }
        bringHome(&survey.moves, &survey.load, &out)
        failBack(survey.failback, &survey.moves, &survey.load, &out)
        emptyReserveHosts(survey.onReserve, &survey.moves, &survey.load, &out)
        verify(&survey.moves, &survey.load, &out)
    }

    /// What one drain has left: moves under way (live ones by group), groups still to move, and
    /// whether anything else holds the node.
    struct DrainProgress {
        var inFlight = 0
        var live: [GroupID] = []
        var remaining: [GroupID] = []
        var busy = false
    }

    /// One pass over every group (one lookup each): the load per node, and the few groups that need a decision.
    struct Survey {
        var load: ClusterLoad
        var offline: [GroupID] = []
        var draining: [NodeID: DrainProgress] = [:]
        var failback: [GroupID] = []
        var lockedRetries: [GroupID] = []
        /// Groups online on a reserve host, to move off it when room appears elsewhere.
        var onReserve: [GroupID] = []
        /// The moves under way, and how many more may start.
        var moves: MoveBudget
    }

    func survey(at now: Timestamp = .zero) -> Survey {
        var survey = Survey(load: ClusterLoad(nodes: Array(nodes.values)),
                            moves: MoveBudget(perSource: configuration.maxConcurrentMovesPerDrain,
                                              perCluster: configuration.maxConcurrentMovesPerCluster))
        for n in nodes.values where n.state == .draining { survey.draining[n.id] = DrainProgress() }
        for def in groupsInOrder {
            guard let s = states[def.id] else { continue }
            // A group holds capacity where its status puts it and wherever it may still run.
            var held = s.status.nodes
            for n in s.possibleHosts where !held.contains(n) { held.append(n) }
            // Offline or failed since its node was lost, it may still run there unseen (its agent died).
            if s.status == .failed || s.status == .offline || s.status == .stopped, let n = s.lastHost, !held.contains(n) { held.append(n) }
            for n in held { survey.load.add(def, to: n) }
            survey.moves.count(s.status)
            switch s.status {
            // Freed from a node whose agent is back: that agent says first whether it still runs there.
            case .offline where s.lastHost.flatMap({ nodes[$0] }).map { $0.state != .down } ?? false: break
            case .offline: survey.offline.append(def.id)
            // A start refused by disk locks is tried again, one at a time, unless its holder's agent
            // is back: that agent reports whether the group runs there (adopted) or not (placed again).
            case .diskLocked(let holder, let retryAt)
                where retryAt <= now && s.possibleHosts.isEmpty && holder.flatMap({ nodes[$0] })?.state ?? .down == .down:
                survey.lockedRetries.append(def.id)
            case .online(let n) where nodes[n]?.reserved == true && nodes[n]?.state != .draining:
                survey.onReserve.append(def.id)
            case .online where def.policy.failback != .never && !def.policy.preferredOwners.isEmpty:
                survey.failback.append(def.id)
            default: break
            }
            guard !survey.draining.isEmpty else { continue }
            switch s.status {
            case .migrating(let a, _, let m) where survey.draining[a] != nil:
                survey.draining[a]?.inFlight += 1
                if m == .live { survey.draining[a]?.live.append(def.id) }
            case .stopping(let a, _?) where survey.draining[a] != nil: survey.draining[a]?.inFlight += 1
            case .online(let a) where survey.draining[a] != nil: survey.draining[a]?.remaining.append(def.id)
            default: for n in held + s.possibleHosts { survey.draining[n]?.busy = true }
            }
        }
        return survey
    }

    /// What every group commits to each node, from the groups' statuses.
    func clusterLoad() -> ClusterLoad { survey().load }

    /// What the node ran under its lost lease is gone: its groups become free to place. If the node
    /// has already rejoined, directives sent before its loss was known may have reached the new
    /// incarnation, so groups that may be there are stopped there first and placed once confirmed.
    /// `proven`: a fence device confirmed the node off, so nothing can run there unseen any more;
    /// otherwise (the lease path) a group freed here may still run under a dead agent (`lastHost`).
    mutating func fence(_ n: NodeID, _ why: String, proven: Bool, _ out: inout Decisions) {
        guard var node = nodes[n] else { return }
        node.fenceDeadline = nil
        nodes[n] = node
        let rejoined = node.state != .down
        var freed = 0
        for id in priorityOrder {
            guard var s = states[id] else { continue }
            if proven && s.lastHost == n { s.lastHost = nil; states[id] = s }
            guard s.possibleHosts.contains(n) || s.status.nodes.contains(n) else { continue }
            freed += 1
            if rejoined && s.possibleHosts.contains(n) {
                stopThere(id, on: n, "\(n) rejoined before its fence", &out)
                continue
            }
            s.possibleHosts.remove(n)
            switch s.phase {
            case .stopped(n):
                stopConfirmed(id, &s, on: n, "\(n) was fenced", &out)
            case .stopping(let a, n, let pending) where a != n:
                s.phase = .stopping(a, then: nil, pending)
            case let phase where phase.status.nodes.contains(n):
                var pending = phase.pending
                pending.recovering = GroupState.Recovering()
                s.phase = .offline(pending)
                s.recovery = RecoveryTimes(node: n, detected: node.lostAt, fenced: out.now, proven: proven)
                if !proven { s.lastHost = s.lastHost ?? n }
            default: break
            }
            states[id] = s
        }
        out.add(.raiseAlert(.info), "\(why): \(freed) group(s) that may have run on \(n) are free to place")
    }

    /// Stops a group on a node whose earlier tasks may or may not have run (it lost its lease
    /// meanwhile), so that it can be placed once confirmed stopped there.
    mutating func stopThere(_ id: GroupID, on n: NodeID, _ why: String, _ out: inout Decisions) {
        guard let def = definitions[id], var s = states[id] else { return }
        defer { states[id] = s }
        if case .stopped = s.phase {  // still stopped once offline there
            s.phase = .stopped(on: n)
            return out.add(.takeOffline(id, on: n, order: def.offlineOrder), "\(why): make sure \(id), stopped by an operator, does not run there")
        }
        out.add(.takeOffline(id, on: n, order: def.offlineOrder),
                "\(why): make sure \(id) does not run there before placing it")
        var pending = s.phase.pending
        pending.recovering = pending.recovering ?? GroupState.Recovering()
        s.phase = .stopping(n, then: nil, pending)
    }

    private func isWaitingForFence(_ s: GroupState) -> Bool {
        s.possibleHosts.contains { nodes[$0]?.state == .down || nodes[$0]?.fenceDeadline != nil }
    }

    private mutating func placeOfflineGroups(_ offline: [GroupID], _ load: inout ClusterLoad, _ out: inout Decisions) {
        var preemption: PreemptionCandidates?
        for id in offline {
            guard let def = definitions[id], var s = states[id], case .offline(let pending) = s.phase else { continue }
            if isWaitingForFence(s) { continue }
            defer { states[id] = s }
            // Taken offline to make room for a more important group: not placed back into that room
            // while the other groups making it are still stopping (the preemptor goes first, then).
            if let p = pending.preemptedFor, states.values.contains(where: { $0.phase.stoppingToMakeRoom == p }) { continue }
            if def.hasExclusiveStorage, let h = s.lastHost, nodes[h]?.state ?? .down == .down {
                // Freed from a lost node without proof of its death (lease and margin): its volume may still be
                // mounted there, and nothing refuses a second mount as the disk locks refuse a second start.
                alert(&s, "exclusive-unproven", .warning, "\(id) waits for \(h): its exclusive storage may still be mounted there, so it "
                          + "starts elsewhere only once \(h)'s death is proven (a fence device or its watchdog) or \(h)'s agent says it does not run there", &out)
                continue
            }
            let recovering = pending.recovering != nil
            if def.policy.priority == .noAutoStart && pending.request == nil {
                if recovering { alert(&s, "held", .warning, "\(id) is not started automatically (priority: no auto start)", &out) }
                continue
            }
            // A group that may still run on a node (a migration cut short) is confirmed there, not failed over.
            let stillThere = !s.possibleHosts.isEmpty
            if recovering && !stillThere && !s.failovers.allowsAnother(def.policy.failover, at: out.now) {
                s.phase = .failed
                // Stored with the state (status shows it); the operator is told once, here.
                out.add(.raiseAlert(.critical), "\(id) failed over \(def.policy.failover.threshold) time(s) within \(def.policy.failover.period): left failed until an operator moves it")
                continue
            }
            // Its own hold on its last host (see `survey`) is not in its way.
            var own = load
            if let h = s.lastHost { own.remove(def, from: h) }
            let decision = placement(for: def, s, pending, own)
            guard let target = decision.node else {
                // Never stop other groups for one that may still run under an unreachable agent.
                if s.possibleHosts.isEmpty, s.lastHost == nil, preempt(for: def, &s, in: load, candidates: &preemption, &out) { continue }
                alert(&s, "unplaced", .warning, "\(id) stays offline: \(decision.reason)", &out)
                continue
            }
            let cause: StartCause = stillThere ? .move : recovering ? .failover : .start
            if cause == .failover { s.failovers.record(out.now) }  // dropped again if disk locks refuse it
            if recovering, var times = s.recovery, times.started == nil {
                times.started = out.now
                s.recovery = times
            }
            if let h = s.lastHost { load.remove(def, from: h) }
            if !s.possibleHosts.contains(target) { load.add(def, to: target) }
            s.phase = .starting(target, cause == .failover ? .failover : recovering ? .recovery : .start)
            s.possibleHosts.insert(target)
            s.lastAlert = nil
            let what: String
            switch cause {
            case .failover: what = "fail over \(id) (failover \(s.failovers.times.count) of \(def.policy.failover.threshold) within \(def.policy.failover.period))"
            case .move: what = "make sure \(id) runs after its migration was cut short"
            case .start, .retry: what = "start \(id)"
            }
            out.add(.bringOnline(id, on: target, order: def.onlineOrder, cause: cause), "\(what): \(decision.reason)")
        }
    }

    /// Tries again to start groups whose start disk locks refused (the group stays `diskLocked`
    /// meanwhile, holding capacity on its holder): no failover is counted for a retry.
    private mutating func retryLockedStarts(_ groups: [GroupID], _ load: inout ClusterLoad, _ out: inout Decisions) {
        for id in groups {
            guard let def = definitions[id], var s = states[id], case .diskLocked(let holder, _, let recovering) = s.phase else { continue }
            let retry = out.now + configuration.lockRetryInterval
            s.phase = .diskLocked(holder: holder, retryAt: retry, recovering: recovering)
            defer { states[id] = s }
            let decision = placement(for: def, s, GroupState.Pending(), load)
            guard let target = decision.node else {
                wake(at: retry, "retry start of \(id) (disks locked; no node fits now: \(decision.reason))", &out)
                continue
            }
            load.add(def, to: target)
            s.possibleHosts.insert(target)
            out.add(.bringOnline(id, on: target, order: def.onlineOrder, cause: .retry),
                    "try again to start \(id), whose disks were locked\(holder.map { " by \($0)" } ?? ""): \(decision.reason)")
        }
    }

    /// Where to start a group: where it may still run, else the operator's target if it fits, else
    /// the best node (away from the one it failed on, if another fits).
    func placement(for def: GroupDefinition, _ s: GroupState, _ pending: GroupState.Pending,
                           _ load: ClusterLoad) -> PlacementDecision {
        if let here = s.possibleHosts.sorted().first {
            return .placed(here, reason: "it may still run on \(here), so it can only be started there")
        }
        var note = ""
        if let t = pending.request?.target, let node = nodes[t] {
            // A reserve host would give it back at once: it takes groups only when no other node can.
            let rejection = node.reserved ? "is a reserve host" : Placement.rejection(of: node, for: def, in: load, excluding: [])
            guard let why = rejection else {
                return .placed(t, reason: "operator chose \(t)")
            }
            note = "requested node \(t) \(why), so "
        }
        let options = configuration.placement
        var decision = Placement.choose(for: def, in: load, options: options)
        if let avoid = pending.recovering?.avoid {
            let elsewhere = Placement.choose(for: def, in: load, excluding: [avoid], options: options)
            if elsewhere.node != nil { decision = elsewhere }
        }
        if note.isEmpty { return decision }
        switch decision {
        case .placed(let n, let why): return .placed(n, reason: note + why)
        case .unplaced(let why): return .unplaced(reason: note + why)
        }
    }

    private mutating func failBack(_ candidates: [GroupID], _ moves: inout MoveBudget, _ load: inout ClusterLoad, _ out: inout Decisions) {
        for id in candidates {
            guard let def = definitions[id], var s = states[id], case .online(let here) = s.status, moves.allows(from: here) else { continue }
            let policy = def.policy
            guard policy.failback != .never, nodes[here]?.state != .draining,
                  let best = policy.preferredOwners.first(where: { p in
                      p == here || (nodes[p]?.acceptsGroups == true && nodes[p]?.reserved != true && policy.allows(p))
                  }), best != here,
                  load.fits(def, on: best), load.conflicts(def, on: best).isEmpty
            else { continue }
            guard policy.failback.allowsFailback(at: out.now) else {
                if let t = policy.failback.nextOpening(after: out.now) {
                    wake(at: t, "failback window for \(id) opens", &out)
                }
                continue
            }
            load.add(def, to: best)
            moves.count(from: here, to: best)
            startMove(def, &s, from: here, to: best, "failback of \(id) to its preferred owner \(best)", &out)
            states[id] = s
        }
    }
}
