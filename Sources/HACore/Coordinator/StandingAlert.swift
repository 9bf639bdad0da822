/// A condition that holds now and needs an operator's eye (`vigil status`'s Alerts), unlike a
/// decision's alert, which is raised once when something happens.
public struct StandingAlert: Hashable, Sendable {
    /// What an alert is about.
    public enum Subject: Hashable, Sendable {
        case cluster
        case node(NodeID)
        case group(GroupID)
    }

    public let severity: AlertSeverity
    public let subject: Subject
    public let message: String

    public init(_ severity: AlertSeverity, _ subject: Subject, _ message: String) {
        self.severity = severity
        self.subject = subject
        self.message = message
    }
}

/// A group's failure history as `vigil status` shows it.
public struct FailureHistory: Hashable, Sendable {
    /// The last failure handled: a restart in place (on its node) or a failover.
    public enum Kind: String, Hashable, Sendable { case restart, failover }
    public let kind: Kind
    public let node: NodeID?
    public let at: Timestamp

    public init(kind: Kind, node: NodeID?, at: Timestamp) {
        self.kind = kind
        self.node = node
        self.at = at
    }
}

extension GroupState {
    /// Failovers `policy` still allows within its period at `now` before the group is left failed.
    public func failoversLeft(_ policy: ThresholdPolicy, at now: Timestamp) -> Int {
        var window = failovers
        return max(0, policy.threshold - window.count(within: policy.period, at: now))
    }

    /// Its most recent restart in place or failover still on record (nil: none).
    public var lastFailure: FailureHistory? {
        var last = failovers.times.last.map { FailureHistory(kind: .failover, node: nil, at: $0) }
        for (n, window) in restarts.sorted(by: { $0.key < $1.key }) {
            if let t = window.times.last, t > last?.at ?? Timestamp(milliseconds: .min) { last = FailureHistory(kind: .restart, node: n, at: t) }
        }
        return last
    }
}

extension ClusterCoordinator {
    /// What needs an operator's eye at `now`, most severe first, then nodes before groups by name:
    /// failed, unplaceable, held and disk-locked groups; lost, suspected, quarantined, draining and
    /// impaired nodes; N+1 not met (losing one node would leave a group without room); moves in flight.
    public func standingAlerts(at now: Timestamp) -> [StandingAlert] {
        var alerts: [StandingAlert] = []
        for (id, node) in nodes.sorted(by: { $0.key < $1.key }) {
            switch node.state {
            case .down where node.fenceDeadline != nil:
                alerts.append(StandingAlert(.critical, .node(id), "\(id) is lost: its groups wait until it is fenced"))
            case .down:
                alerts.append(StandingAlert(.warning, .node(id), "\(id) is down"))
            case .quarantined:
                let until = node.quarantinedUntil == nil ? "until an operator resumes it" : "until its quarantine ends or an operator resumes it"
                alerts.append(StandingAlert(.warning, .node(id), "\(id) is quarantined (it lost its lease too often): it takes no groups \(until)"))
            case .draining:
                alerts.append(StandingAlert(.info, .node(id), "\(id) is draining"))
            case .up, .paused:
                if node.suspectedSince != nil {
                    alerts.append(StandingAlert(.warning, .node(id), "\(id) is silent to its peers: being fenced"))
                }
            }
            if let impairment = node.impairment, node.state != .down {
                alerts.append(StandingAlert(.warning, .node(id), "\(id) cannot host groups now (\(impairment)): it takes none; what runs there stays"))
            }
        }
        for def in groupsInOrder {
            guard let s = states[def.id] else { continue }
            let g = def.id
            switch s.phase {
            case .failed:
                alerts.append(StandingAlert(.critical, .group(g), "\(g) is failed (failed over too often): vigil group move \(g) clears it"))
            case .offline where s.lastAlert == "unplaced":
                alerts.append(StandingAlert(.warning, .group(g), "\(g) is offline: no node can take it"))
            case .offline where s.lastAlert == "held":
                alerts.append(StandingAlert(.warning, .group(g), "\(g) is offline after a failure and is not started automatically (priority: no auto start)"))
            case .diskLocked(let holder, _, _):
                alerts.append(StandingAlert(.warning, .group(g), "\(g): its start was refused by disk locks\(holder.map { " (held by \($0))" } ?? ""); retried"))
            case .migrating(let a, let b, let m, _):
                alerts.append(StandingAlert(.info, .group(g), "\(g): \(m) migration \(a) -> \(b) in flight"))
            case .stopping(let a, let b?, _):
                alerts.append(StandingAlert(.info, .group(g), "\(g): cold move \(a) -> \(b) in flight"))
            default: break
            }
        }
        let up = nodes.values.filter(\.acceptsGroups).count
        if up > 0, !definitions.isEmpty {
            let report = capacityPlanner.lossTolerance(count: 1)
            if !report.survives {
                alerts.append(StandingAlert(.warning, .cluster, "N+1 not met: losing one node can leave \(Placement.summary(report.groupsAtRisk.map(\.rawValue).sorted())) without room"))
            }
        }
        let rank: [AlertSeverity: Int] = [.critical: 0, .warning: 1, .info: 2]
        return alerts.enumerated().sorted { (rank[$0.element.severity]!, $0.offset) < (rank[$1.element.severity]!, $1.offset) }.map(\.element)
    }
}
