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
    /// Taken offline by an operator; stays offline until an operator starts it.
    case stopped
    /// A start was refused because the group's disks are locked: its guests presumably still run on
    /// `holder` (the node it last ran on, whose agent is unreachable), or that node's storage locks
    /// have not been released yet. Not a failure: no failover is counted, and the start is retried
    /// at `retryAt` (a retry under way is in `possibleHosts`), or the holder adopts the group when its
    /// agent reports it running.
    case diskLocked(holder: NodeID?, retryAt: Timestamp)

    /// Nodes this status commits capacity on.
    public var nodes: [NodeID] {
        switch self {
        case .offline, .failed, .stopped, .diskLocked(nil, _): return []
        case .starting(let n), .online(let n), .restarting(let n, _), .stopping(let n, nil), .diskLocked(let n?, _): return [n]
        case .stopping(let n, let t?): return [n, t]
        case .migrating(let a, let b, _): return [a, b]
        }
    }
}

/// A group's stored state: its phase (with what that phase needs), where it might run, and the
/// history that holds across phases (see `GroupState.Phase` for which is which).
public struct GroupState: Hashable, Sendable {
    public var phase: GroupState.Phase = .offline()
    /// Every node where the group's guests might be running: a group is never started elsewhere
    /// while this holds a node that is neither confirmed offline nor fenced.
    public var possibleHosts: Set<NodeID> = []
    /// Restarts in place, per node (the restart threshold applies per node; a failover moves on).
    public var restarts: [NodeID: SlidingWindow] = [:]
    public var failovers = SlidingWindow()
    /// The kind of the last alert raised for this group (not repeated while unchanged).
    public var lastAlert: String?
    /// The node the group ran on when that node's loss freed it, until it runs again: the likely
    /// holder of its disk locks if a start elsewhere is refused.
    public var lastHost: NodeID?
    /// The timings of its last recovery from a lost node.
    public var recovery: RecoveryTimes?
    /// Its verification under way, or the last one (`vigil verify`).
    public var verification: Verification?

    public init(phase: GroupState.Phase = .offline(), possibleHosts: Set<NodeID> = []) {
        self.phase = phase
        self.possibleHosts = possibleHosts
    }

    /// Where the group is, without the phase's data.
    public var status: GroupStatus { phase.status }
}
