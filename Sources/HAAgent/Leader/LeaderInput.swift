import HACoordination
import HACore

/// Everything the leader shell reacts to, merged from store watches and timers into one stream.
enum LeaderInput: Sendable {
    case nodeRecord(NodeRecord)
    case nodeGone(NodeID)
    case groupDefined(GroupSpec)
    case groupRemoved(GroupID)
    case inbox(key: String, message: InboxMessage)
    case timer
    /// A watch needed a full reload (compaction); leadership restarts from the stored state.
    case resync(String)
}
