import HACoordination
import HACore

/// The coordinator's state as the store keeps it: the nodes under one key and each group's state
/// under its own (`coordinator/nodes`, `coordinator/groups/<group>`), so a decision rewrites only
/// what it changed and no value grows with the cluster. Definitions come from `groups/`.
public struct StoredCoordinator: Sendable, Equatable {
    public static let nodesKey = "coordinator/nodes"
    public static let groupsPrefix = "coordinator/groups/"

    public var nodes: [NodeID: Node]
    public var states: [GroupID: GroupState]

    public init(nodes: [NodeID: Node] = [:], states: [GroupID: GroupState] = [:]) {
        self.nodes = nodes
        self.states = states
    }

    public init(_ coordinator: ClusterCoordinator) {
        self.init(nodes: coordinator.nodes, states: coordinator.states)
    }

    /// Reads the stored state; nil when no leader has stored any yet.
    public static func load(from store: any CoordinationStore) async throws -> StoredCoordinator? {
        guard let kv = try await store.get(nodesKey) else { return nil }
        let nodes = try StoreCoding.decode([Node].self, kv.value, key: kv.key)
        var states: [GroupID: GroupState] = [:]
        for kv in try await store.list(prefix: groupsPrefix).kvs {
            states[GroupID(String(kv.key.dropFirst(groupsPrefix.count)))] = try StoreCoding.decode(GroupState.self, kv.value, key: kv.key)
        }
        return StoredCoordinator(nodes: Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) }), states: states)
    }

    /// A coordinator over this state and the given group definitions.
    public func coordinator(configuration: CoordinatorConfiguration, groups: [GroupDefinition]) -> ClusterCoordinator {
        ClusterCoordinator(configuration: configuration, nodes: nodes.values.sorted { $0.id < $1.id }, groups: groups,
                           states: states.filter { id, _ in groups.contains { $0.id == id } })
    }

    /// The writes that turn `self` (what is stored) into `next`: changed nodes, changed and removed groups.
    public func writes(toReach next: StoredCoordinator) throws -> [TransactionOp] {
        var ops: [TransactionOp] = []
        if next.nodes != nodes || next.nodes.isEmpty {
            ops.append(.put(Self.nodesKey, try StoreCoding.encode(next.nodes.values.sorted { $0.id < $1.id })))
        }
        for (id, state) in next.states.sorted(by: { $0.key < $1.key }) where states[id] != state {
            ops.append(.put(Self.groupsPrefix + id.rawValue, try StoreCoding.encode(state)))
        }
        for id in states.keys.sorted() where next.states[id] == nil {
            ops.append(.delete(Self.groupsPrefix + id.rawValue))
        }
        return ops
    }
}
