/// Where a group is in its life cycle, as the coordinator sees it.
public enum GroupStatus: Hashable, Codable, Sendable {
    /// Runs nowhere; will be placed unless it waits for a fence, is held, or does not fit.
    case offline
    /// `bringOnline` sent to this node, not yet confirmed.
    case starting(NodeID)
    /// Every resource confirmed online on this node.
    case online(NodeID)
    /// A failed resource is being restarted in place.
    case restarting(NodeID, ResourceID)
    /// `takeOffline` sent; once offline, start on `then` (a cold move) or re-place it (nil).
    case stopping(NodeID, then: NodeID?)
    /// A live or quick migration is under way.
    case migrating(from: NodeID, to: NodeID, MoveMethod)
    /// Too many failovers: left failed until an operator moves it.
    case failed
    /// A start was refused because the group's disks are locked: its guests presumably still run on
    /// `holder` (the node it last ran on, whose agent is unreachable), or that node's storage locks
    /// have not been released yet. Not a failure: no failover is counted, and the start is retried
    /// at `retryAt` (a retry under way is in `possibleHosts`), or the holder adopts the group when its
    /// agent reports it running.
    case diskLocked(holder: NodeID?, retryAt: Timestamp)

    /// Nodes this status commits capacity on.
    public var nodes: [NodeID] {
        switch self {
        case .offline, .failed, .diskLocked(nil, _): return []
        case .starting(let n), .online(let n), .restarting(let n, _), .stopping(let n, nil), .diskLocked(let n?, _): return [n]
        case .stopping(let n, let t?): return [n, t]
        case .migrating(let a, let b, _): return [a, b]
        }
    }
}

/// A group's stored state: status, where it might run, and its restart and failover history.
public struct GroupState: Hashable, Codable, Sendable {
    public var status: GroupStatus = .offline
    /// Every node where the group's guests might be running: a group is never started elsewhere
    /// while this holds a node that is neither confirmed offline nor fenced.
    public var possibleHosts: Set<NodeID> = []
    /// Restarts in place, per node (the restart threshold applies per node; a failover moves on).
    public var restarts: [NodeID: SlidingWindow] = [:]
    public var failovers = SlidingWindow()
    /// The last stop was a failure: the next placement is a failover.
    public var recovering = false
    /// A node to avoid on the next placement (where it just failed).
    public var avoid: NodeID?
    /// After a failed migration: the first move method to try next.
    public var moveFloor: MoveMethod?
    /// A resource that failed on the source while a migration was under way (handled once it ends).
    public var failedDuringMove: ResourceID?
    /// The node had used up its restarts when that resource failed (see `restartsExhausted`).
    public var failedDuringMoveExhausted = false
    /// An operator asked to start the group (needed for `noAutoStart` groups).
    public var startRequested = false
    /// An operator's requested target for the next placement.
    public var requestedTarget: NodeID?
    /// The kind of the last alert raised for this group (not repeated while unchanged).
    public var lastAlert: String?
    /// The higher-priority group this one was taken offline for (priority preemption), until it runs again.
    public var preemptedFor: GroupID?
    /// The node the group ran on when that node's loss freed it, until it runs again: the likely
    /// holder of its disk locks if a start elsewhere is refused.
    public var lastHost: NodeID?
    /// The timings of its last recovery from a lost node.
    public var recovery: RecoveryTimes?
    /// When the start under way was counted as a failover (nil: it was not, e.g. a start where a
    /// migration was cut short); a disk-lock refusal of that start takes the failover back.
    public var failoverCountedAt: Timestamp?
    public init() {}
}
