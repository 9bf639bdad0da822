/// Something a `NodeInstance` wants its shell to do, with a reason a human can read.
public struct NodeDirective: Hashable, Sendable, CustomStringConvertible {
    /// The action itself.
    public enum Kind: Hashable, Sendable {
        /// Perform the task's step on this host, then feed `taskFinished`.
        case perform(AgentTask)
        /// Send the report to the leader's inbox and delete the task key if it still holds the task
        /// written at `revision`; feed `taskReportDelivered` or `taskReportLost`.
        case reportTask(TaskReport, revision: Int64)
        /// Abort the group's live migration under way here (or about to start): its guests keep
        /// running here and its task fails as aborted.
        case abortMigration(GroupID, reason: String)
        /// Delete the group's abort request if the store still holds the one written at `revision`.
        case consumeAbort(GroupID, revision: Int64)
        /// Tell the leader an observed event; feed `reportLost` if the inbox does not take it.
        case report(ClusterEvent, Sign)
        /// Remove these stopped HA domains' definitions from this host (a stopped HA domain exists only on its owner).
        case undefine([String])
        /// Write the running domain's changed definition back to its configuration on shared storage.
        case writeBack(GroupID, vm: ResourceID, domain: String)
        /// Ask libvirt which of these domains have a guest agent channel; feed `guestAgentChannels`.
        case learnGuestAgentChannels([String])
        /// Resume these paused HA domains (each on its own: one that stays paused fails alone).
        case resume([String])
        /// Run these probes (all at once); feed `probed`.
        case probe([Probe])
        /// List this host's domains and read the coordinator's stored view; feed `inventory`.
        case takeInventory
        /// Power off every one of these HA domains at once, the hardest way the host offers, then undefine them.
        case selfFence([String])
        /// Check this host's libvirtd and shared storage, each bounded by its timeout; feed `hostChecked`.
        case checkHost
        /// Feed `timerFired` at this time.
        case schedule(NodeTimer, at: Timestamp)
    }

    /// What the node saw that it reports (for the shell's log and metrics).
    public enum Sign: Hashable, Sendable {
        /// A watched domain stopped or crashed.
        case stoppedUnexpectedly(domain: String, detail: String)
        /// A watched guest failed this many probes in a row.
        case probeFailed(domain: String, method: ProbeMethod, failures: Int)
        /// A domain of a group watched here (or placed here) is not running.
        case missing(domain: String?)
        /// An HA domain runs here that the coordinator places here: adopted.
        case adopted(domain: String)
        /// An HA domain runs here that the coordinator places elsewhere or nowhere.
        case runsUnplaced(domain: String, status: GroupStatus?)
        /// A group the coordinator may believe here (from before a lost lease) does not run here.
        case notHere
        /// Every guest of a group started here answered its first probe.
        case guestsAlive
        /// QEMU paused a watched guest on a disk I/O error this long ago (zero: its group powers
        /// such guests off at once).
        case pausedByIOError(domain: String, pausedFor: TimeSpan)
        /// What keeps this host from hosting groups changed (nil: nothing does any more).
        case hostHealth(impairment: String?)
        /// A watched group's guests have lost their shared storage on this host.
        case storageLost(domain: String, problem: String)
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, reason: String) { self.kind = kind; self.reason = reason }

    public var description: String { "\(kind) -- \(reason)" }
}
