import HACore

/// A group's latest move as the hosts performing it publish it (`moves/<group>`), for status and
/// for the move's own second half: its phase, each VM's progress and ladder rung, the save images
/// it wrote (named after the move, so no other move ever restores them), and every step with its
/// reason. Written by the source while it migrates or saves, then by the target while it restores.
public struct MoveRecord: Codable, Sendable, Hashable {
    /// Where the move is.
    public enum Phase: String, Codable, Sendable, Hashable {
        /// A live migration runs.
        case migrating
        /// The source saves the VMs' state to shared storage.
        case saving
        /// The state is saved and the storage released; the target restores next.
        case saved
        /// The target brings storage online and restores the VMs.
        case restoring
        /// The group runs on the target.
        case done
        /// This method failed (the coordinator falls back to the next one).
        case failed
        /// The leader asked to abort it (a drain aborted or past its deadline): the live migration
        /// was aborted, the group keeps running on the source and nothing falls back.
        case aborted
    }

    /// One VM's part of the move.
    public struct VM: Codable, Sendable, Hashable {
        /// The live migration's rung and latest progress sample (live moves only).
        public var rung: MigrationRung?
        public var progress: MigrationProgress?
        /// The save image this move wrote for the VM (quick moves only).
        public var image: SaveImage?

        public init(rung: MigrationRung? = nil, progress: MigrationProgress? = nil, image: SaveImage? = nil) {
            self.rung = rung
            self.progress = progress
            self.image = image
        }
    }

    /// A VM's saved state on shared storage.
    public struct SaveImage: Codable, Sendable, Hashable {
        public var path: String
        /// Its size when the save finished: an image of another size is not this save's.
        public var bytes: UInt64
        public var savedAt: Timestamp

        public init(path: String, bytes: UInt64, savedAt: Timestamp) {
            self.path = path
            self.bytes = bytes
            self.savedAt = savedAt
        }
    }

    /// Something that happened in the move, and why.
    public struct Step: Codable, Sendable, Hashable {
        public var at: Timestamp
        public var node: NodeID
        /// The VM's domain, when the step is about one.
        public var vm: String?
        public var what: String
        public var reason: String

        public init(at: Timestamp, node: NodeID, vm: String? = nil, what: String, reason: String) {
            self.at = at
            self.node = node
            self.vm = vm
            self.what = what
            self.reason = reason
        }
    }

    /// The move's id: that of the task that began it (see `AgentTask.moveID`).
    public var id: String
    public var group: GroupID
    public var from: NodeID
    public var to: NodeID
    public var method: MoveMethod
    public var phase: Phase
    public var startedAt: Timestamp
    public var updatedAt: Timestamp
    /// By domain name.
    public var vms: [String: VM]
    public var steps: [Step]

    public init(id: String, group: GroupID, from: NodeID, to: NodeID, method: MoveMethod, phase: Phase, at: Timestamp,
                vms: [String: VM] = [:], steps: [Step] = []) {
        self.id = id
        self.group = group
        self.from = from
        self.to = to
        self.method = method
        self.phase = phase
        self.startedAt = at
        self.updatedAt = at
        self.vms = vms
        self.steps = steps
    }
}

/// The leader asks the host migrating a group to abort its live migration (`aborts/<group>`), so
/// that the guests keep running on that host. The host's agent aborts the live migration whose task
/// was written before the request (the libvirt job, or the migration as it starts if it waits there),
/// ends the move `aborted`, and deletes the request once that migration has ended; a request that
/// stops nothing there is deleted when a newer migration of the group starts or at the next reconcile.
public struct MoveAbort: Codable, Sendable, Hashable {
    public var group: GroupID
    /// The migrating host.
    public var node: NodeID
    public var reason: String

    public init(group: GroupID, node: NodeID, reason: String) {
        self.group = group
        self.node = node
        self.reason = reason
    }
}
