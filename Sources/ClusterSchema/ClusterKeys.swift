import HACore

/// Every key Vigil keeps in the coordination store, relative to the cluster prefix; the one place
/// that spells them. Prefixes holding one record type are `RecordFamily`s, read and followed through
/// HACoordination's `CoordinationStore.read(_:)` and `follow(_:_:)`.
///
/// - `nodes/<node>`: membership record (`NodeRecord`), bound to the node's lease.
/// - `leader`: the elected coordinator, bound to its lease; its create revision is the fencing token.
/// - `agents/<node>`: how other hosts reach this one (`AgentRecord`).
/// - `groups/<group>`: a group's definition and storage bindings (`GroupSpec`, written by the API).
/// - `coordinator/nodes`, `coordinator/groups/<group>`, `coordinator/leaseLosses`, `coordinator/wakeups`:
///   the coordinator's snapshot (`StoredCoordinator`), written with the fencing token.
/// - `tasks/<node>/<group>`: work the leader gives a node (`AgentTask`, written with the fencing token).
/// - `inbox/<id>`: events and task reports from nodes and operators (`InboxMessage`), consumed by the leader.
/// - `decisions/<time>-<leader>-<sequence>`: the coordinator's decisions (`DecisionRecord`), oldest
///   first by key, written in the same fenced transaction as the decisions themselves. Agents add
///   the rungs of the moves they perform under their own node name (`decision(at:leader:sequence:)`).
/// - `moves/<group>`: the group's latest move (`MoveRecord`), written by the hosts performing it.
/// - `aborts/<group>`: the leader's request to abort the group's live migration under way
///   (`MoveAbort`, written with the fencing token; the transaction that gives the group a new move
///   deletes it), read by the migrating host.
/// - `configurations/<vm>`: the VM's domain XML as Vigil last wrote or accepted it (`ConfigurationRecord`),
///   written with the group by `vm add` and `vm edit`, and by the agent that writes a definition back.
public enum ClusterKeys {
    public static let nodes = RecordFamily<NodeRecord>(prefix: "nodes/")
    public static let leader = "leader"
    public static let agents = RecordFamily<AgentRecord>(prefix: "agents/")
    public static let groups = RecordFamily<GroupSpec>(prefix: "groups/")
    public static let inbox = RecordFamily<InboxMessage>(prefix: "inbox/")
    public static let tasks = "tasks/"
    public static let decisions = RecordFamily<DecisionRecord>(prefix: "decisions/")
    public static let moves = RecordFamily<MoveRecord>(prefix: "moves/")
    public static let aborts = RecordFamily<MoveAbort>(prefix: "aborts/")
    public static let configurations = RecordFamily<ConfigurationRecord>(prefix: "configurations/")

    /// The coordinator's snapshot, split by what changes together.
    public enum Coordinator {
        public static let prefix = "coordinator/"
        public static let nodes = prefix + "nodes"
        public static let groups = prefix + "groups/"
        public static let leaseLosses = prefix + "leaseLosses"
        public static let wakeups = prefix + "wakeups"
        /// The key of one group's coordinator state.
        public static func group(_ id: GroupID) -> String { groups + id.rawValue }
    }

    public static func node(_ id: NodeID) -> String { nodes.key(id.rawValue) }
    public static func agent(_ node: NodeID) -> String { agents.key(node.rawValue) }
    public static func group(_ id: GroupID) -> String { groups.key(id.rawValue) }
    /// The tasks of one node, named by group.
    public static func tasks(of node: NodeID) -> RecordFamily<AgentTask> { RecordFamily(prefix: "\(tasks)\(node.rawValue)/") }
    public static func task(_ node: NodeID, _ group: GroupID) -> String { tasks(of: node).key(group.rawValue) }
    public static func inbox(_ id: String) -> String { inbox.key(id) }
    public static func move(_ group: GroupID) -> String { moves.key(group.rawValue) }
    public static func moveAbort(_ group: GroupID) -> String { aborts.key(group.rawValue) }
    public static func configuration(of vm: String) -> String { configurations.key(vm) }
    /// Zero-padded so that keys sort by time, then by leader and its sequence.
    public static func decision(at time: Timestamp, leader: NodeID, sequence: Int) -> String {
        decisions.key(String(repeating: "0", count: max(0, 13 - String(time.milliseconds).count)) + "\(time.milliseconds)-\(leader.rawValue)-"
                      + String(repeating: "0", count: max(0, 8 - String(sequence).count)) + "\(sequence)")
    }

    /// Where Vigil's clusters live in etcd.
    public static let etcdRoot = "/vigil/"
    /// The etcd key prefix of a cluster (every key above lives under it).
    public static func etcdPrefix(cluster: String) -> String { "\(etcdRoot)\(cluster)/" }
}

/// A key prefix under which every value is one record type, each named by the rest of its key.
public struct RecordFamily<Record: Codable & Sendable>: Sendable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    /// The key of the record named `name`.
    public func key(_ name: String) -> String { prefix + name }
    /// The name of the record at `key` (a key under this prefix).
    public func name(of key: String) -> String { String(key.dropFirst(prefix.count)) }
    /// The record stored at `key`.
    public func decode(_ bytes: [UInt8], key: String) throws(StoredValueError) -> Record {
        try StoreCoding.decode(Record.self, bytes, key: key)
    }
}
