/// Everything `ClusterCoordinator` has learnt from events, i.e. all it decides from besides its
/// configuration and the group definitions (the shell holds those): a shell stores it and restores a
/// coordinator from it (`init(configuration:groups:restoring:)`), which then decides exactly as the
/// one it was taken from.
public struct CoordinatorSnapshot: Hashable, Codable, Sendable {
    /// Every node with its state, lease and fencing deadlines, quarantine and suspicion.
    public var nodes: [NodeID: Node]
    /// Every group's state: status, possible hosts, restart and failover windows, recovery times.
    public var states: [GroupID: GroupState]
    /// Recent lease losses per node: what quarantines a flapping host.
    public var leaseLosses: [NodeID: SlidingWindow]
    /// `waitUntil` times handed out and not yet reached. A shell restoring the snapshot arms a timer
    /// for each (the coordinator does not hand the same time out again).
    public var wakeups: Set<Timestamp>

    public init(nodes: [NodeID: Node] = [:], states: [GroupID: GroupState] = [:],
                leaseLosses: [NodeID: SlidingWindow] = [:], wakeups: Set<Timestamp> = []) {
        self.nodes = nodes
        self.states = states
        self.leaseLosses = leaseLosses
        self.wakeups = wakeups
    }
}

extension ClusterCoordinator {
    /// The coordinator's whole state, for storage.
    public var snapshot: CoordinatorSnapshot {
        CoordinatorSnapshot(nodes: nodes, states: states, leaseLosses: leaseLosses, wakeups: wakeups)
    }

    /// A coordinator restored from `snapshot` over these groups: states of groups no longer defined
    /// are dropped, new groups start offline (as in `redefine(groups:)`).
    public init(configuration: CoordinatorConfiguration = CoordinatorConfiguration(), groups: [GroupDefinition],
                restoring snapshot: CoordinatorSnapshot) {
        self.init(configuration: configuration, nodes: Array(snapshot.nodes.values), groups: groups, states: snapshot.states)
        leaseLosses = snapshot.leaseLosses
        wakeups = snapshot.wakeups
    }
}
