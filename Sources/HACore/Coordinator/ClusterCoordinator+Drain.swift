/// Drains (`vigil node drain`): every group moves off the node within the move budget, spread over
/// the other nodes; the drain ends complete, or incomplete naming each group left and why (no node
/// can take it, every rung of its ladder failed, or the deadline passed), or aborted. Never a retry
/// loop: a group is tried at most once per rung of its ladder, and the deadline ends any drain.
extension ClusterCoordinator {
    mutating func drainRequested(_ n: NodeID, within deadline: TimeSpan?, _ out: inout Decisions) {
        guard var node = nodes[n] else { return out.add(.raiseAlert(.warning), "event names unknown node \(n); ignored") }
        guard [.up, .paused, .draining].contains(node.state) else {
            return out.add(.raiseAlert(.warning), "cannot make \(n) draining: it is \(node.state.rawValue)")
        }
        let span = deadline ?? configuration.drainDeadline
        var record = DrainRecord(deadline: out.now + span, startedAt: out.now)
        // Asked again while draining: the groups moved so far still count as moved off (for failback).
        if node.state == .draining, let earlier = node.drain { record.moved = earlier.moved }
        node.state = .draining
        node.quarantinedUntil = nil
        node.drain = record
        nodes[n] = node
        out.add(.raiseAlert(.info), "drain of \(n) started: at most \(configuration.maxConcurrentMovesPerDrain) move(s) off it and \(configuration.maxConcurrentMovesPerCluster) in the cluster at once; deadline \(record.deadline) (\(span))")
        wake(at: record.deadline, "deadline of the drain of \(n)", &out)
    }

    /// Stops the drain: its live migrations in flight are aborted (each guest keeps running on `n`),
    /// no new move starts, and the node stays paused.
    mutating func drainAborted(_ n: NodeID, _ out: inout Decisions) {
        guard var node = nodes[n] else { return out.add(.raiseAlert(.warning), "event names unknown node \(n); ignored") }
        guard node.state == .draining || node.state == .paused else {
            return out.add(.raiseAlert(.warning), "cannot make \(n) paused: it is \(node.state.rawValue)")
        }
        node.state = .paused
        nodes[n] = node
        guard var record = node.drain, !record.ended else { return }
        stop(n, &record, .aborted, "the drain was aborted", &out)
        nodes[n]?.drain = record
    }

    mutating func resumeRequested(_ n: NodeID, failback: Bool, _ out: inout Decisions) {
        guard var node = nodes[n] else { return out.add(.raiseAlert(.warning), "event names unknown node \(n); ignored") }
        guard [.paused, .draining, .quarantined, .up].contains(node.state) else {
            return out.add(.raiseAlert(.warning), "cannot make \(n) up: it is \(node.state.rawValue)")
        }
        if node.state == .draining, var record = node.drain, !record.ended {
            nodes[n] = node
            stop(n, &record, .aborted, "the node was resumed during its drain", &out)
            node.drain = record
        }
        node.state = .up
        node.quarantinedUntil = nil
        if failback, var record = node.drain {
            record.failback = priorityOrder.filter { record.moved.contains($0) }
            node.drain = record
            out.add(.raiseAlert(.info), record.failback.isEmpty
                    ? "\(n) resumed; its last drain moved no group off, so none comes home"
                    : "\(n) resumed: \(record.failback.count) group(s) its last drain moved off come home (\(Placement.summary(record.failback.map(\.rawValue))))")
        }
        nodes[n] = node
    }

    /// One pass of a drain: ends it at its deadline, starts the moves the budget allows, and ends it
    /// once nothing is left to move (or nothing left can move).
    mutating func drain(_ n: NodeID, _ progress: DrainProgress, _ moves: inout MoveBudget, _ load: inout ClusterLoad,
                        _ out: inout Decisions) {
        var record = nodes[n]?.drain ?? DrainRecord(deadline: out.now + configuration.drainDeadline)
        defer { nodes[n]?.drain = record }
        if out.now >= record.deadline {
            for id in progress.remaining where record.left[id] == nil {
                record.left[id] = "the deadline \(record.deadline) passed before it could move"
            }
            nodes[n]?.state = .paused
            return stop(n, &record, .incomplete, "its deadline \(record.deadline) passed", &out, live: progress.live)
        }
        var blocked: [GroupID: String] = [:]
        var started = 0
        for id in progress.remaining where record.left[id] == nil {
            guard moves.allows(from: n) else { break }
            guard let def = definitions[id], var s = states[id] else { continue }
            if record.attempts[id, default: 0] >= def.moveLadder.count {
                record.left[id] = "every rung of its ladder (\(def.moveLadder.map(\.rawValue).joined(separator: ", "))) failed; it stays on \(n)"
                continue
            }
            let decision = Placement.choose(for: def, in: load, excluding: [n], options: configuration.placement, incoming: moves.incoming)
            guard let target = decision.node else {
                blocked[id] = decision.reason
                alert(&s, "drain-blocked", .warning, "cannot drain \(id) off \(n): \(decision.reason)", &out)
                states[id] = s
                continue
            }
            load.add(def, to: target)
            moves.count(from: n, to: target)
            started += 1
            record.attempts[id, default: 0] += 1
            if !record.moved.contains(id) { record.moved.append(id) }
            startMove(def, &s, from: n, to: target, "draining \(n) (\(def.policy.priority.rawValue) priority first): \(decision.reason)", &out)
            states[id] = s
        }
        // Nothing in flight and nothing else holding the node: what could not move now never will.
        guard progress.inFlight + started == 0, !progress.busy else { return wake(at: record.deadline, "deadline of the drain of \(n)", &out) }
        for (id, why) in blocked { record.left[id] = why }
        guard progress.remaining.allSatisfy({ record.left[$0] != nil }) else { return }
        nodes[n]?.state = .paused
        guard record.left.isEmpty else { return stop(n, &record, .incomplete, "groups cannot move", &out) }
        record.outcome = .complete
        out.add(.raiseAlert(.info), "drain of \(n) complete: every group left it; \(n) is paused")
    }

    /// Ends a drain that did not complete: aborts its live migrations in flight (their guests keep
    /// running on `n`) and names every group it leaves.
    private mutating func stop(_ n: NodeID, _ record: inout DrainRecord, _ outcome: DrainRecord.Outcome, _ why: String,
                               _ out: inout Decisions, live: [GroupID]? = nil) {
        let inFlight = live ?? priorityOrder.filter { id in
            if case .migrating(n, _, .live)? = states[id]?.status { return true }
            return false
        }
        for id in inFlight {
            record.left[id] = "its live migration was aborted (\(why)); it keeps running on \(n)"
            out.add(.abortMove(id, on: n), "\(why): abort the live migration of \(id); it keeps running on \(n)")
        }
        if outcome == .aborted {
            for id in priorityOrder where record.left[id] == nil && states[id]?.status == .online(n) {
                record.left[id] = "not moved before the drain was aborted"
            }
        }
        record.outcome = outcome
        out.add(.raiseAlert(outcome == .aborted ? .info : .warning), "drain of \(n) \(record.summary ?? outcome.rawValue); \(n) is paused")
    }

    /// Why a failed move of `g` off `source` must not fall back to the next rung (nil: it may): the
    /// drain that started it has ended (aborted or past its deadline), or it has tried every rung.
    mutating func drainForbidsFallback(_ g: GroupID, from source: NodeID, rungs: Int) -> String? {
        guard let record = nodes[source]?.drain, record.attempts[g] != nil else { return nil }
        if record.ended, let why = record.left[g] { return why }
        guard nodes[source]?.state == .draining, record.attempts[g, default: 0] >= rungs else { return nil }
        nodes[source]?.drain?.left[g] = "every rung of its ladder failed; it stays on \(source)"
        return "the drain of \(source) tried every rung of its ladder"
    }

    /// Counts a fallback move of a drained group against its attempts.
    mutating func countDrainAttempt(_ g: GroupID, from source: NodeID) {
        guard nodes[source]?.state == .draining, nodes[source]?.drain?.attempts[g] != nil else { return }
        nodes[source]?.drain?.attempts[g, default: 0] += 1
    }

    /// After `resume --failback`: brings the groups the node's last drain moved off back to it, live
    /// where they allow, within the move budget; a group that cannot come home is named and dropped.
    mutating func bringHome(_ moves: inout MoveBudget, _ load: inout ClusterLoad, _ out: inout Decisions) {
        for home in nodes.keys.sorted() {
            guard let node = nodes[home], var pending = node.drain?.failback, !pending.isEmpty else { continue }
            defer { nodes[home]?.drain?.failback = pending }
            for id in pending {
                guard let def = definitions[id], var s = states[id] else { pending.removeAll { $0 == id }; continue }
                switch s.status {
                case .online(home):
                    pending.removeAll { $0 == id }
                case .online(let here):
                    guard moves.allows(from: here) else { continue }
                    let why = node.acceptsGroups ? Placement.rejection(of: node, for: def, in: load, excluding: []) : "is \(node.state.rawValue)"
                    pending.removeAll { $0 == id }
                    if let why {
                        out.add(.raiseAlert(.warning), "\(id) cannot come home to \(home): \(home) \(why); it stays on \(here)")
                        continue
                    }
                    load.add(def, to: home)
                    moves.count(from: here, to: home)
                    startMove(def, &s, from: here, to: home, "failback of \(id) to \(home), which its drain moved it off", &out)
                    states[id] = s
                case .stopped, .failed, .offline:
                    pending.removeAll { $0 == id }  // not running: nothing to bring home
                default:
                    continue  // busy: tried again once it settles
                }
            }
        }
    }
}
