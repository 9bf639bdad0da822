import HACore
import Synchronization

/// The agent's counters and gauges, rendered in Prometheus' text exposition format on `/metrics`.
public final class AgentMetrics: Sendable {
    private struct Values {
        var tasksSucceeded: [String: Int] = [:]
        var tasksFailed: [String: Int] = [:]
        var taskSeconds: [String: Double] = [:]
        var resourceFailures = 0
        var selfFences = 0
        var leaseRenewSeconds: Double?
        var isLeader = false
        var nodeState: [String: String] = [:]
        var groupStatus: [String: String] = [:]
        var restarts = 0
        var failovers = 0
        var moves = 0
    }

    private let values = Mutex(Values())

    public init() {}

    func taskSucceeded(_ task: AgentTask, seconds: Double) {
        let kind = task.step.kind
        values.withLock {
            $0.tasksSucceeded[kind, default: 0] += 1
            $0.taskSeconds[kind, default: 0] += seconds
        }
    }

    func taskFailed(_ task: AgentTask) { values.withLock { $0.tasksFailed[task.step.kind, default: 0] += 1 } }
    func resourceFailure() { values.withLock { $0.resourceFailures += 1 } }
    func selfFenced() { values.withLock { $0.selfFences += 1 } }
    func leaseRenewed(seconds: Double) { values.withLock { $0.leaseRenewSeconds = seconds } }
    func leader(_ on: Bool) { values.withLock { $0.isLeader = on } }

    /// Records what the leader decided: restarts, failovers and moves, by directive.
    func directive(_ directive: Directive) {
        values.withLock {
            switch directive.action {
            case .restartResource: $0.restarts += 1
            case .bringOnline(_, _, _, .failover): $0.failovers += 1
            case .liveMigrate, .quickMigrate, .bringOnline(_, _, _, .move): $0.moves += 1
            default: break
            }
        }
    }

    /// Publishes the leader's view of node and group states.
    func clusterView(_ coordinator: ClusterCoordinator) {
        values.withLock {
            $0.nodeState = Dictionary(uniqueKeysWithValues: coordinator.nodes.map { ($0.key.rawValue, $0.value.state.rawValue) })
            $0.groupStatus = Dictionary(uniqueKeysWithValues: coordinator.states.map { ($0.key.rawValue, $0.value.status.name) })
        }
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        let v = values.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples { out += "\(name)\(s.labels) \(s.value)\n" }
        }
        func byKind(_ d: [String: Int]) -> [(String, String)] { d.sorted { $0.key < $1.key }.map { ("{task=\"\($0.key)\"}", "\($0.value)") } }
        family("vigil_tasks_succeeded_total", "counter", "Tasks this node performed successfully.", byKind(v.tasksSucceeded))
        family("vigil_tasks_failed_total", "counter", "Tasks this node failed to perform.", byKind(v.tasksFailed))
        family("vigil_task_seconds_total", "counter", "Time spent performing tasks.",
               v.taskSeconds.sorted { $0.key < $1.key }.map { ("{task=\"\($0.key)\"}", "\($0.value)") })
        family("vigil_resource_failures_total", "counter", "HA resource failures detected on this node.", [("", "\(v.resourceFailures)")])
        family("vigil_self_fences_total", "counter", "Times this node stopped its HA domains because it could not renew its lease.", [("", "\(v.selfFences)")])
        family("vigil_lease_renew_seconds", "gauge", "Latency of the last successful lease renewal.",
               v.leaseRenewSeconds.map { [("", "\($0)")] } ?? [])
        family("vigil_leader", "gauge", "1 while this node is the cluster's coordinator.", [("", v.isLeader ? "1" : "0")])
        family("vigil_restarts_total", "counter", "Restarts in place decided by this node as leader.", [("", "\(v.restarts)")])
        family("vigil_failovers_total", "counter", "Failovers decided by this node as leader.", [("", "\(v.failovers)")])
        family("vigil_moves_total", "counter", "Moves (live, quick, cold) decided by this node as leader.", [("", "\(v.moves)")])
        family("vigil_node_state", "gauge", "Node states as the leader sees them (1 for the current state).",
               v.nodeState.sorted { $0.key < $1.key }.map { ("{node=\"\($0.key)\",state=\"\($0.value)\"}", "1") })
        family("vigil_group_status", "gauge", "Group states as the leader sees them (1 for the current status).",
               v.groupStatus.sorted { $0.key < $1.key }.map { ("{group=\"\($0.key)\",status=\"\($0.value)\"}", "1") })
        return out
    }
}

extension AgentTask.Step {
    /// A short label for metrics and logs.
    var kind: String {
        switch self {
        case .bringOnline: "bring_online"
        case .takeOffline: "take_offline"
        case .restart: "restart"
        case .liveMigrate: "live_migrate"
        case .quickSave: "quick_save"
        case .quickRestore: "quick_restore"
        }
    }
}
