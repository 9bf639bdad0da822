/// The leader's failover coordinator: a value that takes cluster events and returns directives.
///
/// No IO, no clock: the shell passes the time with every event, performs the directives, and
/// reports what happened as further events. What it learns from events is its `snapshot`, which a
/// shell stores and restores; its configuration and group definitions come from the shell.
public struct ClusterCoordinator: Sendable {
    public let configuration: CoordinatorConfiguration
    public internal(set) var nodes: [NodeID: Node]
    public private(set) var definitions: [GroupID: GroupDefinition]
    public internal(set) var states: [GroupID: GroupState]
    /// Groups in the order they are placed and drained: priority, then name.
    private(set) var groupsInOrder: [GroupDefinition]
    var priorityOrder: [GroupID] { groupsInOrder.map(\.id) }
    /// `waitUntil` times already handed out and not yet reached.
    var wakeups: Set<Timestamp> = []
    /// Recent lease losses per node, for quarantine.
    var leaseLosses: [NodeID: SlidingWindow] = [:]

    /// A coordinator for these nodes and groups; groups without a given state start offline.
    public init(configuration: CoordinatorConfiguration = CoordinatorConfiguration(), nodes: [Node],
                groups: [GroupDefinition], states: [GroupID: GroupState] = [:]) {
        self.configuration = configuration
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) })
        self.definitions = [:]
        self.groupsInOrder = []
        self.states = states
        redefine(groups: groups)
    }

    /// Redefines the groups on the live coordinator (an operator added, removed or changed one):
    /// groups still defined keep their state, new ones start offline, states of removed ones go.
    /// Everything else it knows (nodes, lease-loss history, pending wake-ups) stays as it is.
    public mutating func redefine(groups: [GroupDefinition]) {
        definitions = Dictionary(uniqueKeysWithValues: groups.map { ($0.id, $0) })
        groupsInOrder = groups.sorted { ($0.policy.priority, $0.id) < ($1.policy.priority, $1.id) }
        states = states.filter { id, _ in definitions[id] != nil }
        for g in groups where states[g.id] == nil { states[g.id] = GroupState() }
    }

    /// Handles one event observed at `now` and returns what to do, each with its reason.
    public mutating func handle(_ event: ClusterEvent, at now: Timestamp) -> [Directive] {
        var out = Decisions(now: now)
        wakeups = wakeups.filter { $0 > now }
        apply(event, &out)
        reconcile(&out)
        return out.directives
    }

    /// The node each group runs on (or is starting on), for capacity planning.
    public var owners: [GroupID: NodeID] {
        var result: [GroupID: NodeID] = [:]
        for (id, s) in states {
            switch s.status {
            case .online(let n), .starting(let n), .restarting(let n, _), .stopping(let n, _),
                 .migrating(_, let n, _), .diskLocked(let n?, _): result[id] = n
            case .offline, .failed, .stopped, .diskLocked(nil, _): break
            }
        }
        return result
    }

    /// A capacity planner over the current state; groups an operator stopped need no room.
    public var capacityPlanner: CapacityPlanner {
        CapacityPlanner(nodes: nodes.values.sorted { $0.id < $1.id },
                        groups: definitions.values.filter { states[$0.id]?.status != .stopped },
                        owners: owners, options: configuration.placement)
    }

    private mutating func apply(_ event: ClusterEvent, _ out: inout Decisions) {
        switch event {
        case .nodeJoined(let n, let capacity): nodeJoined(n, capacity, &out)
        case .leaseLost(let n): leaseLost(n, &out)
        case .memberUnconfirmed(let n): memberUnconfirmed(n, &out)
        case .startRefusedLocked(let g, let n): onGroup(g, &out) { $0.startRefusedLocked($1.id, &$2, n, &$3) }
        case .nodeFenced(let n):
            guard var node = nodes[n] else { return unknown("node", n.rawValue, &out) }
            if node.suspectedSince != nil {
                // Fenced on its peers' suspicion while its lease still ran: it is off now, so down.
                node.state = .down
                node.suspectedSince = nil
                nodes[n] = node
            }
            fence(n, "fencing of \(n) confirmed", proven: true, &out)
        case .nodeSuspected(let n): nodeSuspected(n, &out)
        case .nodeHeard(let n):
            if var node = nodes[n], node.suspectedSince != nil, node.state != .down {
                node.suspectedSince = nil
                node.lostAt = nil
                nodes[n] = node
            }
        case .resourceFailed(let g, let r, let n): onGroup(g, &out) { $0.resourceFailed($1, &$2, r, n, &$3) }
        case .resourceOnline(let g, let r, let n):
            if case .restarting(n, r, _)? = states[g]?.phase { states[g]?.phase = .online(n) }
        case .groupOnline(let g, let n): onGroup(g, &out) { $0.groupOnline($1, &$2, n, &$3) }
        case .groupOffline(let g, let n): onGroup(g, &out) { $0.groupOffline($1, &$2, n, &$3) }
        case .guestsAlive(let g, let n):
            // Only the first answer after a recovery's start counts (a later restart is no recovery).
            if var s = states[g], case .online(n) = s.status, var times = s.recovery, times.online != nil, times.firstProbe == nil {
                times.firstProbe = out.now
                s.recovery = times
                states[g] = s
            }
        case .moveFailed(let g, let m, let from, let running, let lost):
            onGroup(g, &out) { $0.moveFailed($1, &$2, m, from, running, targetUnreachable: lost == true, &$3) }
        case .moveRequested(let g, let to): onGroup(g, &out) { $0.moveRequested($1, &$2, to, &$3) }
        case .stopRequested(let g): onGroup(g, &out) { $0.stopRequested($1, &$2, &$3) }
        case .startRequested(let g, let on): onGroup(g, &out) { $0.startRequested($1, &$2, on, &$3) }
        case .reserveRequested(let n): setReserved(n, true, &out)
        case .unreserveRequested(let n): setReserved(n, false, &out)
        case .drainRequested(let n, let deadline): drainRequested(n, within: deadline, &out)
        case .drainAborted(let n): drainAborted(n, &out)
        case .resumeRequested(let n, let failback): resumeRequested(n, failback: failback == true, &out)
        case .nodeImpaired(let n, let reason): nodeImpaired(n, reason, &out)
        case .nodeRestored(let n): nodeRestored(n, &out)
        case .verifyRequested(let g): onGroup(g, &out) { $0.verifyRequested($1, &$2, &$3) }
        case .verifyAborted(let g): onGroup(g, &out) { $0.verifyAborted($1, &$2, &$3) }
        case .timerFired: break
        }
    }

    /// Runs a handler on a known group's definition and state, and stores the state it leaves; an
    /// event naming an unknown group is ignored with an alert.
    private mutating func onGroup(_ g: GroupID, _ out: inout Decisions,
                                  _ handler: (inout ClusterCoordinator, GroupDefinition, inout GroupState, inout Decisions) -> Void) {
        guard let def = definitions[g], var s = states[g] else { return unknown("group", g.rawValue, &out) }
        handler(&self, def, &s, &out)
        states[g] = s
    }

    func unknown(_ kind: String, _ name: String, _ out: inout Decisions) {
        out.add(.raiseAlert(.warning), "event names unknown \(kind) \(name); ignored")
    }

    private mutating func nodeJoined(_ n: NodeID, _ capacity: NodeCapacity, _ out: inout Decisions) {
        guard var node = nodes[n] else { nodes[n] = Node(id: n, capacity: capacity); return }
        node.capacity = capacity
        node.suspectedSince = nil
        node.lostAt = nil
        if node.unconfirmedUntil != nil {
            node.unconfirmedUntil = nil
            out.add(.raiseAlert(.info), "\(n) renewed its membership within the start-up grace: its groups stay with it")
        }
        defer { nodes[n] = node }
        guard node.state == .down else { return }
        if let deadline = node.fenceDeadline {
            // Back before anything of it was freed: its agent is alive again (restarted, or healed after
            // a self-fence) and its groups never started elsewhere, so they stay with it; the agent
            // adopts what still runs and reports what does not.
            node.fenceDeadline = nil
            out.add(.raiseAlert(.info), "\(n) rejoined before its fencing deadline \(deadline): groups running on it stay with it")
            // A group in the middle of a start, stop or move there: its task may not have run.
            for id in priorityOrder {
                guard let s = states[id], s.possibleHosts.contains(n), s.status != .online(n) else { continue }
                // A move into n is driven by its source, which reports how it ended.
                if case .migrating(let from, n, _) = s.status, nodes[from]?.state != .down { continue }
                stopThere(id, on: n, "\(n) rejoined while \(id) was \(s.status)", &out)
            }
        }
        let q = configuration.quarantine
        let losses = leaseLosses[n]?.count(within: q.period, at: out.now) ?? 0
        guard losses >= q.threshold else { node.state = .up; return }
        node.state = .quarantined
        let duration = configuration.quarantineDuration
        guard duration > .zero else {
            return out.add(.raiseAlert(.warning), "\(n) lost its lease \(losses) time(s) within \(q.period): quarantined, takes no groups until an operator resumes it")
        }
        let until = out.now + duration
        node.quarantinedUntil = until
        out.add(.raiseAlert(.warning), "\(n) lost its lease \(losses) time(s) within \(q.period): quarantined, takes no groups until \(until) (\(duration)) or until an operator resumes it")
        wake(at: until, "quarantine of \(n) ends", &out)
    }

    mutating func leaseLost(_ n: NodeID, _ out: inout Decisions) {
        guard var node = nodes[n] else { return unknown("node", n.rawValue, &out) }
        if node.state == .down { return }  // already lost (or fenced on suspicion)
        let deadline = out.now + configuration.fencingMargin
        node.suspectedSince = nil
        node.lostAt = node.lostAt ?? out.now
        node.state = .down
        node.quarantinedUntil = nil
        node.fenceDeadline = deadline
        nodes[n] = node
        leaseLosses[n, default: SlidingWindow()].record(out.now)
        let waiting = groups(thatMayRunOn: n)
        let list = waiting.isEmpty ? "no groups wait for it"
            : "\(waiting.count) group(s) wait for it (\(Placement.summary(waiting.map(\.rawValue))))"
        out.add(.fenceNode(n), "lease of \(n) lost; \(list) until it is fenced, at the latest at \(deadline) (lease loss + \(configuration.fencingMargin) margin)")
        wake(at: deadline, "fencing margin of \(n) ends", &out)
    }

    /// Groups that may run on `n` (held there by their status or possibly still running there), in priority order.
    private func groups(thatMayRunOn n: NodeID) -> [GroupID] {
        priorityOrder.filter { id in states[id].map { $0.possibleHosts.contains(n) || $0.status.nodes.contains(n) } ?? false }
    }

    /// Peers cannot hear `n`: fence it (the shell first checks whether the host is alive). Its groups
    /// stay where they are until the fence is confirmed or its lease is lost.
    private mutating func nodeSuspected(_ n: NodeID, _ out: inout Decisions) {
        guard var node = nodes[n], node.state != .down, node.suspectedSince == nil else { return }
        node.suspectedSince = out.now
        node.lostAt = node.lostAt ?? out.now
        nodes[n] = node
        let held = groups(thatMayRunOn: n)
        out.add(.fenceNode(n), "\(n) is silent to its peers while its lease runs; \(held.count) group(s) stay until it is proved dead (fence confirmed or lease lost); nothing starts elsewhere on suspicion alone")
    }

    /// A new leader found `n` a member in the stored state but not renewing under it: wait for it.
    private mutating func memberUnconfirmed(_ n: NodeID, _ out: inout Decisions) {
        guard var node = nodes[n] else { return unknown("node", n.rawValue, &out) }
        guard node.state != .down, node.unconfirmedUntil == nil else { return }
        let until = out.now + configuration.startupGrace
        node.unconfirmedUntil = until
        nodes[n] = node
        out.add(.raiseAlert(.info), "\(n) was a member but has not renewed its lease under this leader: its groups stay with it; it counts as lost unless it renews by \(until) (start-up grace \(configuration.startupGrace))")
        wake(at: until, "start-up grace of \(n) ends", &out)
    }

    /// Hands out a `waitUntil` for `t` unless one is already pending.
    mutating func wake(at t: Timestamp, _ why: String, _ out: inout Decisions) {
        guard t > out.now, wakeups.insert(t).inserted else { return }
        out.add(.waitUntil(t), why)
    }

    /// Raises an alert for a group unless the same kind was the last one raised for it.
    func alert(_ s: inout GroupState, _ kind: String, _ severity: AlertSeverity, _ message: String, _ out: inout Decisions) {
        guard s.lastAlert != kind else { return }
        s.lastAlert = kind
        out.add(.raiseAlert(severity), message)
    }
}
