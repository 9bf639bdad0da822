/// Something a shell observed (etcd watches, libvirt events, operator requests), fed to the coordinator.
public enum ClusterEvent: Hashable, Codable, Sendable {
    /// A node took a lease (joined or came back), offering this capacity.
    case nodeJoined(NodeID, NodeCapacity)
    /// A node's lease expired: it may still run guests until it is fenced.
    case leaseLost(NodeID)
    /// A node is known to run nothing (fence device confirmed power-off, or the node reported its
    /// watchdog fired).
    case nodeFenced(NodeID)
    /// A resource of a group failed on its node (guest crashed, health check failed, start failed).
    case resourceFailed(GroupID, ResourceID, on: NodeID)
    /// The node's peers stopped hearing its heartbeats while it still holds its lease: it may be dead.
    /// Suspicion leads to fencing (which first checks whether the host is alive), never to a start.
    case nodeSuspected(NodeID)
    /// The node's peers hear it again.
    case nodeHeard(NodeID)
    /// A node was a member when this leader took over but has not renewed its lease under it yet
    /// (every agent restarting at once, an upgrade): it gets a start-up grace before it counts as lost.
    case memberUnconfirmed(NodeID)
    /// A start of the group on the node was refused because its disks are locked by another host
    /// (virtlockd's lease or QEMU's image lock): the group still runs somewhere, this is no failure.
    case startRefusedLocked(GroupID, on: NodeID)
    /// A restarted resource is online again.
    case resourceOnline(GroupID, ResourceID, on: NodeID)
    /// Every resource of the group is online on the node (start, migration or restore finished).
    case groupOnline(GroupID, on: NodeID)
    /// Every resource of the group is offline on the node.
    case groupOffline(GroupID, on: NodeID)
    /// The group's guests on the node answered their first health probe (isAlive) since they started.
    case guestsAlive(GroupID, on: NodeID)
    /// A migration from `from` failed; the group still runs on `runningOn` (nil: nowhere, e.g. saved
    /// by a quick migration). `targetUnreachable`: the source found the target's libvirtd no longer
    /// answering, so no other method toward it is tried (absent from older agents).
    case moveFailed(GroupID, MoveMethod, from: NodeID, runningOn: NodeID?, targetUnreachable: Bool? = nil)
    /// An operator asked to move (or start, or clear a failed) group, to a node or wherever fits best.
    case moveRequested(GroupID, to: NodeID?)
    /// An operator asked to take a group offline and keep it offline (`vigil group stop`): no failure
    /// handling, placement or failback starts it again until an operator starts it.
    case stopRequested(GroupID)
    /// An operator asked to start a stopped group, on a node (if it is allowed and fits) or the best one.
    case startRequested(GroupID, on: NodeID?)
    /// An operator made a node a reserve host (a hot spare): it takes groups only when no other node
    /// can, and the leader moves them off it again when room appears elsewhere.
    case reserveRequested(NodeID)
    /// An operator returned a reserve host to ordinary placement.
    case unreserveRequested(NodeID)
    /// An operator asked to drain a node: move every group away, then pause it; `deadline`: how long
    /// it may take (nil: the configured default).
    case drainRequested(NodeID, deadline: TimeSpan? = nil)
    /// An operator aborted a drain: live migrations under way are aborted (each guest keeps running
    /// on the node), no new move starts; the node stays paused.
    case drainAborted(NodeID)
    /// An operator returned a paused, draining or quarantined node to service; `failback`: and asked
    /// for the groups its last drain moved off to come home.
    case resumeRequested(NodeID, failback: Bool? = nil)
    /// A node's agent reports that its host cannot host groups now (its libvirtd does not answer,
    /// its shared storage fails): it takes no groups until it reports itself able again. What runs
    /// there stays, except groups that fail there: those fail over rather than restart in place.
    case nodeImpaired(NodeID, reason: String)
    /// The node's agent reports its host able to host groups again.
    case nodeRestored(NodeID)
    /// An operator asked to verify a group (`vigil verify`): move it to each possible owner in turn and back.
    case verifyRequested(GroupID)
    /// An operator aborted a verification: no further owner is visited; the group goes back where it started.
    case verifyAborted(GroupID)
    /// A `waitUntil` time was reached.
    case timerFired
}

extension ClusterEvent: CustomStringConvertible {
    public var description: String {
        switch self {
        case .nodeJoined(let n, let c): return "node-joined \(n) memory=\(c.memoryMiB) vcpus=\(c.vcpus)"
        case .leaseLost(let n): return "lease-lost \(n)"
        case .nodeFenced(let n): return "node-fenced \(n)"
        case .resourceFailed(let g, let r, let n): return "resource-failed \(g)/\(r) on \(n)"
        case .memberUnconfirmed(let n): return "member-unconfirmed \(n)"
        case .nodeSuspected(let n): return "node-suspected \(n)"
        case .nodeHeard(let n): return "node-heard \(n)"
        case .startRefusedLocked(let g, let n): return "start-refused-locked \(g) on \(n)"
        case .resourceOnline(let g, let r, let n): return "resource-online \(g)/\(r) on \(n)"
        case .groupOnline(let g, let n): return "group-online \(g) on \(n)"
        case .groupOffline(let g, let n): return "group-offline \(g) on \(n)"
        case .guestsAlive(let g, let n): return "guests-alive \(g) on \(n)"
        case .moveFailed(let g, let m, let a, let n, let lost):
            return "move-failed \(g) \(m) from \(a) running-on=\(n?.rawValue ?? "none")" + (lost == true ? " target-unreachable" : "")
        case .moveRequested(let g, let n): return "move-requested \(g) to=\(n?.rawValue ?? "best")"
        case .stopRequested(let g): return "stop-requested \(g)"
        case .startRequested(let g, let n): return "start-requested \(g) on=\(n?.rawValue ?? "best")"
        case .reserveRequested(let n): return "reserve-requested \(n)"
        case .unreserveRequested(let n): return "unreserve-requested \(n)"
        case .drainRequested(let n, let d): return "drain-requested \(n)" + (d.map { " deadline=\($0)" } ?? "")
        case .drainAborted(let n): return "drain-aborted \(n)"
        case .resumeRequested(let n, let f): return "resume-requested \(n)" + (f == true ? " failback" : "")
        case .nodeImpaired(let n, let reason): return "node-impaired \(n) reason=\(reason)"
        case .nodeRestored(let n): return "node-restored \(n)"
        case .verifyRequested(let g): return "verify-requested \(g)"
        case .verifyAborted(let g): return "verify-aborted \(g)"
        case .timerFired: return "timer-fired"
        }
    }
}
