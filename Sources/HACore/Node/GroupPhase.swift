/// Where one group stands on a node, as its `NodeInstance` sees it. Outside a task, a group is
/// idle, watched or failed; a task moves it to `performing`, then to `reporting` until the leader
/// has the report, then to what the task left behind.
public enum GroupPhase: Hashable, Sendable {
    /// Not running here as far as this node knows.
    case idle
    /// Runs here and is watched: an unexpected stop, failed probes or a missing domain is a failure.
    /// `failureReported`: adopted again by a reconcile after a failure already reported (not reported twice).
    case watched(failureReported: Bool)
    /// A failure was reported to the leader; not watched until the leader's next task.
    case failed
    /// A task runs (one at a time per group); stops and probes are not failures meanwhile.
    /// `wasWatched`: the group was watched when it began (a failed move leaves it so).
    case performing(AgentTask, revision: Int64, wasWatched: Bool)
    /// The task ended; its report is on its way to the leader (sent again until the inbox takes it, or
    /// dropped by a self-fence).
    /// `watchAfter`: whether the group runs here (and is watched) once it is delivered.
    case reporting(TaskReport, revision: Int64, watchAfter: Bool)

    /// A task is running or its report is not delivered yet: the group is the task's business.
    public var isBusy: Bool {
        switch self {
        case .performing, .reporting: true
        case .idle, .watched, .failed: false
        }
    }

    /// Watched here (running, not busy).
    public var isWatched: Bool {
        if case .watched = self { return true }
        return false
    }
}
