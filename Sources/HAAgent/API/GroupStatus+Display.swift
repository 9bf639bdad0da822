import HACore

/// How a group's status reads in the API, the CLI and the metrics.
extension GroupStatus {
    /// What an operator needs to know beyond the status name, if anything.
    var note: String? {
        guard case .diskLocked(let holder, _) = self else { return nil }
        guard let holder else { return "its disks are locked by another host (a dead host's storage may still be releasing them); retried, not a failure" }
        return "running on \(holder) as far as Vigil knows: its agent is unreachable and its disk locks refuse every start elsewhere; retried, not a failure"
    }

    /// Every value `name` takes (the metrics publish each group's status as one of them).
    static let names = ["offline", "starting", "online", "restarting", "stopping", "migrating", "failed", "stopped", "locked"]

    /// The status without its associated values.
    var name: String {
        switch self {
        case .offline: "offline"
        case .starting: "starting"
        case .online: "online"
        case .restarting: "restarting"
        case .stopping: "stopping"
        case .migrating: "migrating"
        case .failed: "failed"
        case .stopped: "stopped"
        case .diskLocked: "locked"
        }
    }
}
