import ClusterSchema
import HACoordination
import HACore

/// Everything the leader shell reacts to, merged from store watches and timers into one stream.
enum LeaderInput: Sendable {
    case nodeRecord(NodeRecord)
    case nodeGone(NodeID)
    /// A member in the stored state that has no record now and that this agent never saw alive.
    case nodeUnconfirmed(NodeID)
    /// What the peer heartbeats say of a node.
    case peerVerdict(PeerVerdict)
    /// What fencing a lost node proved.
    case fenced(NodeID, NodeFencer.Outcome, leaseLost: Bool)
    case groupDefined(GroupSpec)
    case groupRemoved(GroupID)
    case inbox(key: String, message: InboxMessage)
    case timer
    /// A watch needed a full reload (compaction); leadership restarts from the stored state.
    case resync(String)
}
