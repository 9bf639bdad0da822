/// A node agent's own instance for its resources: restarts a failed resource in place while the
/// group's restart threshold allows, and otherwise escalates to the cluster coordinator, which
/// decides the failover. Value type, no IO; time comes with every call.
public struct LocalResourceManager: Codable, Sendable {
    /// What the agent should do about a failure.
    public enum Decision: Hashable, Codable, Sendable {
        /// Restart the resource here (the `n`th restart within the period).
        case restart(GroupID, ResourceID, number: Int, reason: String)
        /// Report this event to the coordinator: the restarts here are used up.
        case escalate(ClusterEvent, reason: String)
    }

    public let node: NodeID
    /// Restart policy of each group this node runs.
    public private(set) var policies: [GroupID: ThresholdPolicy] = [:]
    private var windows: [GroupID: SlidingWindow] = [:]
    /// Groups being migrated away from this node: their failures are the coordinator's to handle.
    private var moving: Set<GroupID> = []

    public init(node: NodeID) { self.node = node }

    /// The group now runs here (started, migrated or failed over to this node).
    public mutating func groupArrived(_ g: GroupID, restartPolicy: ThresholdPolicy) { policies[g] = restartPolicy }

    /// The group left this node; its restart history here is kept until it expires.
    public mutating func groupLeft(_ g: GroupID) { policies[g] = nil }

    /// A migration of the group away from this node started (never restart it here meanwhile:
    /// the coordinator may start it on the target).
    public mutating func moveStarted(_ g: GroupID) { moving.insert(g) }
    /// The migration ended, whatever its outcome.
    public mutating func moveEnded(_ g: GroupID) { moving.remove(g) }

    /// The coordinator ordered a restart here (after an escalated failure): it counts against the same budget.
    public mutating func restartOrdered(_ g: GroupID, at now: Timestamp) { windows[g, default: SlidingWindow()].record(now) }

    /// A resource of a group running here failed at `now`.
    public mutating func resourceFailed(_ g: GroupID, _ r: ResourceID, at now: Timestamp) -> Decision {
        guard let policy = policies[g] else {
            return .escalate(.resourceFailed(g, r, on: node), reason: "\(g) is not known to run on \(node): the coordinator decides")
        }
        var window = windows[g] ?? SlidingWindow()
        defer { windows[g] = window }
        if moving.contains(g) {
            let room = window.allowsAnother(policy, at: now)
            return .escalate(room ? .resourceFailed(g, r, on: node) : .restartsExhausted(g, r, on: node),
                             reason: "\(g) is being migrated away: the coordinator decides")
        }
        if let k = RestartBudget.take(&window, policy, at: now) {
            return .restart(g, r, number: k, reason: "\(r) of \(g) failed on \(node); restart \(k) of \(policy.threshold) allowed within \(policy.period)")
        }
        return .escalate(.restartsExhausted(g, r, on: node),
                         reason: "\(r) of \(g) failed on \(node) after \(policy.threshold) restart(s) within \(policy.period): the coordinator fails it over")
    }
}
