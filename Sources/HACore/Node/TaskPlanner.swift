/// The leader's translation between the coordinator and the nodes, with no IO: directives become
/// node tasks, and task reports become coordinator events (or the next step of a two-step move).
/// Holds no policy: every decision stays in `ClusterCoordinator`. The leader shell and the
/// simulator both use it.
///
/// The second half of a quick migration (restore on the target after the source saved) is planned
/// here, not by the source node's `NodeInstance`: a task for another node must be written by the
/// leader, under its fencing token, so that a deposed leader's plan can never reach the target.
public enum TaskPlanner {
    /// What the leader shell does for one directive.
    public enum DirectivePlan: Equatable, Sendable {
        /// Give these tasks to their nodes.
        case tasks([AgentTask])
        /// Feed `timerFired` at this time.
        case timer(Timestamp)
        /// Ask the node performing the group's live migration to abort it (the leader writes the
        /// request where the migrating node reads it; a new move of the group clears it).
        case abortMove(GroupID, on: NodeID)
        /// Only log it (alerts, failures; the leader shell performs `fenceNode` through `NodeFencer`).
        case log(severity: AlertSeverity)
    }

    /// What the leader shell does with one task report.
    public struct ReportPlan: Equatable, Sendable {
        /// Events for the coordinator.
        public var events: [ClusterEvent]
        /// The next task of a two-step move (quick migration: restore after save).
        public var next: AgentTask?
    }

    /// Plans one directive; a task it gives a node gets `taskID` (unique per task).
    public static func plan(_ directive: Directive, taskID: String) -> DirectivePlan {
        let reason = directive.reason
        switch directive.action {
        case .bringOnline(let g, let n, _, let cause):
            return .tasks([AgentTask(id: taskID, group: g, node: n, step: .bringOnline(cause: cause), reason: reason)])
        case .takeOffline(let g, let n, _):
            return .tasks([AgentTask(id: taskID, group: g, node: n, step: .takeOffline, reason: reason)])
        case .restartResource(let g, let r, let n):
            return .tasks([AgentTask(id: taskID, group: g, node: n, step: .restart(r), reason: reason)])
        case .liveMigrate(let g, let from, let to):
            return .tasks([AgentTask(id: taskID, group: g, node: from, step: .liveMigrate(to: to), reason: reason)])
        case .quickMigrate(let g, let from, let to):
            return .tasks([AgentTask(id: taskID, group: g, node: from, step: .quickSave(to: to), reason: reason)])
        case .abortMove(let g, let n):
            return .abortMove(g, on: n)
        case .waitUntil(let t):
            return .timer(t)
        case .fenceNode:
            return .log(severity: .warning)
        case .raiseAlert(let severity):
            return .log(severity: severity)
        }
    }

    /// Plans what follows a node's report on a task.
    public static func plan(_ report: TaskReport, vmOf: (GroupID) -> ResourceID?) -> ReportPlan {
        let task = report.task
        let g = task.group
        let n = task.node
        let failed = report.failedResource ?? vmOf(g) ?? ResourceID(g.rawValue)
        switch (task.step, report.succeeded) {
        case (.bringOnline, true):
            return ReportPlan(events: [.groupOnline(g, on: n)])
        case (.bringOnline, false) where report.refusedByDiskLocks == true:
            return ReportPlan(events: [.startRefusedLocked(g, on: n)])
        case (.bringOnline, false):
            return ReportPlan(events: [.resourceFailed(g, failed, on: n)])
        case (.takeOffline, true):
            return ReportPlan(events: [.groupOffline(g, on: n)])
        case (.takeOffline, false):
            // The node could not stop it: it still counts as running there; nothing to tell.
            return ReportPlan(events: [])
        case (.restart(let r), true):
            return ReportPlan(events: [.resourceOnline(g, r, on: n)])
        case (.restart(let r), false):
            return ReportPlan(events: [.resourceFailed(g, report.failedResource ?? r, on: n)])
        case (.liveMigrate(let to), true):
            return ReportPlan(events: [.groupOnline(g, on: to)])
        case (.liveMigrate, false):
            return ReportPlan(events: [.moveFailed(g, .live, from: n, runningOn: report.stillRunningHere ? n : nil,
                                                   targetUnreachable: report.targetUnreachable)])
        case (.quickSave(let to), true):
            let restore = AgentTask(id: task.id + AgentTask.restoreSuffix, group: g, node: to, step: .quickRestore(from: n), reason: "restore \(g) saved on \(n): \(task.reason)")
            return ReportPlan(events: [], next: restore)
        case (.quickSave, false):
            return ReportPlan(events: [.moveFailed(g, .quick, from: n, runningOn: report.stillRunningHere ? n : nil,
                                                   targetUnreachable: report.targetUnreachable)])
        case (.quickRestore, true):
            return ReportPlan(events: [.groupOnline(g, on: n)])
        case (.quickRestore(let source), false):
            return ReportPlan(events: [.moveFailed(g, .quick, from: source, runningOn: report.stillRunningHere ? n : nil)])
        }
    }
}
