import ClusterSchema
import HACore

/// How the store keeps the coordinator's `CoordinatorSnapshot`: the nodes under one key, each group's
/// state under its own, the lease-loss history and the pending wake-ups under one key each
/// (`coordinator/nodes`, `coordinator/groups/<group>`, `coordinator/leaseLosses`,
/// `coordinator/wakeups`), so that a decision rewrites only what it changed and no value grows with
/// the number of groups. Group definitions come from `groups/`. Records written before the history
/// and the wake-ups were kept (nodes and groups only) read with both empty.
public enum StoredCoordinator {
    private typealias Keys = ClusterKeys.Coordinator

    /// Reads the stored snapshot in one read (one revision); nil when no leader has stored any yet.
    public static func load(from store: any CoordinationStore) async throws -> CoordinatorSnapshot? {
        let kvs = try await store.list(prefix: Keys.prefix).kvs
        guard kvs.contains(where: { $0.key == Keys.nodes }) else { return nil }
        var snapshot = CoordinatorSnapshot()
        for kv in kvs {
            switch kv.key {
            case Keys.nodes:
                let nodes = try StoreCoding.decode([Node].self, kv.value, key: kv.key)
                snapshot.nodes = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            case Keys.leaseLosses:
                snapshot.leaseLosses = try StoreCoding.decode([NodeID: SlidingWindow].self, kv.value, key: kv.key)
            case Keys.wakeups:
                snapshot.wakeups = Set(try StoreCoding.decode([Timestamp].self, kv.value, key: kv.key))
            case let key where key.hasPrefix(Keys.groups):
                snapshot.states[GroupID(String(key.dropFirst(Keys.groups.count)))] = try StoreCoding.decode(GroupState.self, kv.value, key: key)
            default: break  // written by a newer agent: not ours to read
            }
        }
        return snapshot
    }

    /// The writes that turn `stored` (what the store holds) into `next`: what changed, and removed groups.
    public static func writes(from stored: CoordinatorSnapshot, toReach next: CoordinatorSnapshot) throws -> [TransactionOp] {
        var ops: [TransactionOp] = []
        if next.nodes != stored.nodes || next.nodes.isEmpty {  // always there once stored: `load` looks for it
            ops.append(.put(Keys.nodes, try StoreCoding.encode(next.nodes.values.sorted { $0.id < $1.id })))
        }
        if next.leaseLosses != stored.leaseLosses { ops.append(.put(Keys.leaseLosses, try StoreCoding.encode(next.leaseLosses))) }
        if next.wakeups != stored.wakeups { ops.append(.put(Keys.wakeups, try StoreCoding.encode(next.wakeups.sorted()))) }
        for (id, state) in next.states.sorted(by: { $0.key < $1.key }) where stored.states[id] != state {
            ops.append(.put(Keys.group(id), try StoreCoding.encode(state)))
        }
        for id in stored.states.keys.sorted() where next.states[id] == nil {
            ops.append(.delete(Keys.group(id)))
        }
        return ops
    }
}
