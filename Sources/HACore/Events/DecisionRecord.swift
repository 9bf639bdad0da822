/// One decision of the coordinator as operators read it (`vigil events`): the event that triggered
/// it, what was decided, about which group and nodes, and why.
public struct DecisionRecord: Codable, Hashable, Sendable {
    /// When the coordinator decided.
    public var at: Timestamp
    /// The event the decision answers (a lost lease, a failed resource, an operator's request, ...).
    public var trigger: String
    /// The kind of decision: bring-online, take-offline, restart, live-migrate, quick-migrate, fence
    /// or alert (a group left failed is a critical alert); "migration" for a step an agent took in a
    /// move it performs (a rung of the live-migration ladder, a save image set aside).
    public var kind: String
    /// The decision in one line, as the leader logs it.
    public var action: String
    /// The group it is about, from the decision or else its trigger.
    public var group: GroupID?
    /// The nodes it concerns: those the decision names, then the trigger's.
    public var nodes: [NodeID]
    /// An alert's severity.
    public var severity: AlertSeverity?
    /// Why, with the candidates placement considered where it placed.
    public var reason: String

    /// The record of `directive`, decided at `at` in answer to `trigger`; nil for the coordinator's
    /// own timers, which decide nothing an operator needs to read.
    public init?(_ directive: Directive, trigger: ClusterEvent, at: Timestamp) {
        let (kind, group, nodes, severity) = Self.subjects(of: directive.action)
        guard let kind else { return nil }
        let (triggerGroup, triggerNodes) = Self.subjects(of: trigger)
        self.at = at
        self.trigger = trigger.description
        self.kind = kind
        self.action = directive.actionDescription
        self.group = group ?? triggerGroup
        self.nodes = nodes + triggerNodes.filter { !nodes.contains($0) }
        self.severity = severity
        self.reason = directive.reason
    }

    /// A record an agent writes for a step of a move it performs (a migration rung, a save image
    /// set aside, a cold start instead of a restore): `kind` is "migration".
    public init(at: Timestamp, trigger: String, action: String, group: GroupID, nodes: [NodeID], severity: AlertSeverity? = nil,
                reason: String) {
        self.at = at
        self.trigger = trigger
        self.kind = "migration"
        self.action = action
        self.group = group
        self.nodes = nodes
        self.severity = severity
        self.reason = reason
    }

    private static func subjects(of action: Directive.Action) -> (String?, GroupID?, [NodeID], AlertSeverity?) {
        switch action {
        case .bringOnline(let g, let n, _, _): ("bring-online", g, [n], nil)
        case .takeOffline(let g, let n, _): ("take-offline", g, [n], nil)
        case .restartResource(let g, _, let n): ("restart", g, [n], nil)
        case .liveMigrate(let g, let a, let b): ("live-migrate", g, [a, b], nil)
        case .quickMigrate(let g, let a, let b): ("quick-migrate", g, [a, b], nil)
        case .abortMove(let g, let n): ("abort-move", g, [n], nil)
        case .fenceNode(let n): ("fence", nil, [n], nil)
        case .raiseAlert(let s): ("alert", nil, [], s)
        case .waitUntil: (nil, nil, [], nil)
        }
    }

    private static func subjects(of event: ClusterEvent) -> (GroupID?, [NodeID]) {
        switch event {
        case .nodeJoined(let n, _), .leaseLost(let n), .nodeFenced(let n), .nodeSuspected(let n), .nodeHeard(let n),
             .memberUnconfirmed(let n), .drainRequested(let n, _), .reserveRequested(let n), .unreserveRequested(let n), .drainAborted(let n),
             .resumeRequested(let n, _),
             .nodeImpaired(let n, _), .nodeRestored(let n):
            (nil, [n])
        case .resourceFailed(let g, _, let n), .startRefusedLocked(let g, let n),
             .resourceOnline(let g, _, let n), .groupOnline(let g, let n), .groupOffline(let g, let n), .guestsAlive(let g, let n):
            (g, [n])
        case .moveFailed(let g, _, let a, let n, _): (g, [a] + (n.map { [$0] } ?? []))
        case .moveRequested(let g, let n), .startRequested(let g, let n): (g, n.map { [$0] } ?? [])
        case .stopRequested(let g), .verifyRequested(let g), .verifyAborted(let g): (g, [])
        case .timerFired: (nil, [])
        }
    }
}

/// How many decision records the cluster keeps: the newest `limit`; older ones are pruned in
/// batches of `batch` so that the store is listed once per batch, not at every decision.
public struct DecisionRetention: Hashable, Sendable {
    public var limit: Int
    public var batch: Int
    public init(limit: Int = 2_000, batch: Int = 200) {
        self.limit = limit
        self.batch = batch
    }

    /// Of `keys` (sortable: oldest first), those to delete.
    public func pruned(_ keys: [String]) -> [String] {
        keys.count > limit ? Array(keys.sorted().prefix(keys.count - limit)) : []
    }
}
