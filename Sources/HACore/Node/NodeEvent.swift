/// Something a node shell observed, fed to its `NodeInstance`.
public enum NodeEvent: Hashable, Sendable {
    /// The agent starts: its timers begin.
    case started
    /// The group definitions as the store has them now (all of them).
    case definitions([GroupDefinition])
    /// The leader gave this node a task (written at store revision `revision`).
    case taskArrived(AgentTask, revision: Int64)
    /// The task key of the group was deleted (the leader withdrew what waits there).
    case taskWithdrawn(GroupID)
    /// Every task the store holds for this node now, with the revision each was written at (after
    /// a watch resync): tasks waiting here that it no longer holds are withdrawn.
    case tasksResynced([AgentTask: Int64])
    /// The leader asks this node to abort the group's live migration (`aborts/<group>`, written at
    /// store revision `revision`), or withdrew that request (the key was deleted).
    case moveAbortRequested(GroupID, reason: String, revision: Int64)
    case moveAbortWithdrawn(GroupID)
    /// The shell performed a task's step.
    case taskFinished(TaskReport)
    /// The shell is about to power these domains off for the task running for their group.
    case stopsExpected([String])
    /// A task report reached the leader's inbox (and its task key was removed), or did not.
    case taskReportDelivered(taskID: String)
    case taskReportLost(taskID: String)
    /// A report of an observed event did not reach the leader's inbox.
    case reportLost(ClusterEvent)
    /// libvirt: a domain started (`migratedIn`: a live migration brought it here).
    case domainStarted(String, migratedIn: Bool)
    /// libvirt: a domain stopped or crashed (`detail` for the log).
    case domainStopped(String, detail: String)
    /// libvirt: a domain was paused (`ioError`: by QEMU, because a disk returned an I/O error).
    case domainSuspended(String, ioError: Bool)
    /// libvirt: a paused domain runs again.
    case domainResumed(String)
    /// libvirt: a domain's persistent definition was changed (an operator edited it).
    case domainRedefined(String)
    /// Which of the domains asked about have a guest agent channel (those libvirt could not tell are absent).
    case guestAgentChannels([String: Bool])
    /// What each probe of a round found.
    case probed([Probe: ProbeOutcome])
    /// What runs on this host and the coordinator's last stored view; nil when either could not be read.
    case inventory(Inventory?)
    /// The membership is about to lose (or lost) its lease: stop every HA domain here.
    case leaseLost(reason: String)
    /// The membership holds a lease again.
    case leaseHeld
    /// The connection to this host's libvirtd was lost (daemon died, keepalive timed out) or is back
    /// (reconnected, domain events registered again).
    case hypervisorLink(HypervisorLink)
    /// What a check of this host's libvirtd and shared storage found (`checkHost`).
    case hostChecked(HostCheck)
    case timerFired(NodeTimer)
    /// The health settings were reloaded.
    case settingsChanged(NodeSettings)
}

/// The node instance's timers.
public enum NodeTimer: Hashable, Sendable {
    case probe
    case reconcile
    /// Guests paused by an I/O error are resumed again or, past their grace, failed.
    case pausedGuests
    /// libvirtd and shared storage are checked.
    case hostCheck
}

/// A change of the connection to this host's libvirtd.
public enum HypervisorLink: Hashable, Sendable {
    case lost(reason: String)
    case restored
}

/// What one check of this host found: each failure's description, nil where the check passed.
public struct HostCheck: Hashable, Sendable {
    /// libvirtd did not answer a cheap call in time, or answered with an error.
    public var hypervisor: String?
    /// A file could not be written, flushed, read back and removed on shared storage in time.
    public var storage: String?
    public init(hypervisor: String? = nil, storage: String? = nil) { self.hypervisor = hypervisor; self.storage = storage }
}

/// A domain on this host, as listed by the hypervisor.
public struct DomainSighting: Hashable, Sendable {
    public var name: String
    /// Running or paused (it holds its disks).
    public var active: Bool
    /// QEMU holds it paused because a disk returned an I/O error (state paused, reason I/O error).
    public var pausedByIOError: Bool
    /// In a live migration, in or out (paused for one, or copying its memory away): in flux, it
    /// belongs to the migration, which ends with it running on one side only.
    public var migrating: Bool
    public init(name: String, active: Bool, pausedByIOError: Bool = false, migrating: Bool = false) {
        self.name = name
        self.active = active
        self.pausedByIOError = pausedByIOError
        self.migrating = migrating
    }
}

/// What a reconcile compares: this host's domains and each group's state in the coordinator's last stored view.
public struct Inventory: Hashable, Sendable {
    public var domains: [DomainSighting]
    public var believed: [GroupID: GroupState]
    public init(domains: [DomainSighting], believed: [GroupID: GroupState]) { self.domains = domains; self.believed = believed }
}
