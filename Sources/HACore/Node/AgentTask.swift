/// One step of work the leader gives a node.
public struct AgentTask: Codable, Sendable, Hashable {
    /// What the node does.
    public enum Step: Codable, Sendable, Hashable {
        /// Bring the group online here.
        case bringOnline(cause: StartCause)
        /// Take the group offline here.
        case takeOffline
        /// Restart one resource of the group here.
        case restart(ResourceID)
        /// Live-migrate the group from here to the node.
        case liveMigrate(to: NodeID)
        /// First half of a quick migration: save the group's VMs to shared storage, release storage.
        case quickSave(to: NodeID)
        /// Second half: restore the saved VMs here.
        case quickRestore(from: NodeID)

        /// Whether the step begins a move off this node (a live migration or a quick migration's save).
        public var beginsMove: Bool {
            switch self {
            case .liveMigrate, .quickSave: true
            case .bringOnline, .takeOffline, .restart, .quickRestore: false
            }
        }
    }

    /// Unique per task, so reports can be matched to it.
    public var id: String
    public var group: GroupID
    public var node: NodeID
    public var step: Step
    /// The coordinator's reason, for the node's log.
    public var reason: String

    /// What a restore task's id adds to the id of the save it follows.
    public static let restoreSuffix = "-restore"

    /// The id of the move this task is part of: its own, or for a restore that of the save before it.
    public var moveID: String {
        if case .quickRestore = step, id.hasSuffix(Self.restoreSuffix) { return String(id.dropLast(Self.restoreSuffix.count)) }
        return id
    }

    public init(id: String, group: GroupID, node: NodeID, step: Step, reason: String) {
        self.id = id
        self.group = group
        self.node = node
        self.step = step
        self.reason = reason
    }
}

/// What a node reports after performing a task.
public struct TaskReport: Codable, Sendable, Hashable {
    public var task: AgentTask
    /// nil on success; otherwise what failed.
    public var failure: String?
    /// The resource that failed, when one did.
    public var failedResource: ResourceID?
    /// Whether the group's VMs still run on the reporting node after a failed move.
    public var stillRunningHere: Bool
    /// A start failed because the disks are locked by another host (absent from older agents: false).
    public var refusedByDiskLocks: Bool?
    /// A move failed and the target's libvirtd no longer answered this node (absent from older agents: false).
    public var targetUnreachable: Bool?

    public init(task: AgentTask, failure: String? = nil, failedResource: ResourceID? = nil, stillRunningHere: Bool = false,
                refusedByDiskLocks: Bool = false, targetUnreachable: Bool = false) {
        self.task = task
        self.failure = failure
        self.failedResource = failedResource
        self.stillRunningHere = stillRunningHere
        self.refusedByDiskLocks = refusedByDiskLocks ? true : nil
        self.targetUnreachable = targetUnreachable ? true : nil
    }

    public var succeeded: Bool { failure == nil }
}
