import CoreMetrics
import HACore
import HACoordination
import Prometheus
import Synchronization

/// The agent's metrics: instrumented through swift-metrics, collected in a Prometheus registry of its
/// own and served as Prometheus text on `/metrics`. vigild also bootstraps swift-metrics with
/// `factory`, so the metrics of the libraries it uses land on the same page.
public final class AgentMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over `registry`, with the buckets of Vigil's histograms.
    public let factory: PrometheusMetricsFactory

    private struct Published {
        var nodes: Set<String> = []
        var groups: Set<String> = []
        /// Each group's last recovery as last seen (nil until the first view after leading).
        var recoveries: [GroupID: RecoveryTimes?]?
        /// When this node last became the leader: recoveries fenced since are its own.
        var leadingSince = Timestamp.zero
    }
    private let published = Mutex(Published())
    /// The metrics without labels, made at once so that they read 0 before their first event.
    private let resourceFailures, selfFences, restarts, failovers, moves: CoreMetrics.Counter
    private let isLeader: CoreMetrics.Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        for name in MetricName.recoveryPhases { factory.durationHistogramBuckets[name] = MetricName.recoveryBuckets }
        factory.durationHistogramBuckets[MetricName.taskSeconds] = MetricName.taskBuckets
        self.factory = factory
        resourceFailures = CoreMetrics.Counter(label: MetricName.resourceFailures, factory: factory)
        selfFences = CoreMetrics.Counter(label: MetricName.selfFences, factory: factory)
        restarts = CoreMetrics.Counter(label: MetricName.restarts, factory: factory)
        failovers = CoreMetrics.Counter(label: MetricName.failovers, factory: factory)
        moves = CoreMetrics.Counter(label: MetricName.moves, factory: factory)
        isLeader = CoreMetrics.Gauge(label: MetricName.leader, factory: factory)
        isLeader.record(0)
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String { registry.emitToString() }

    func taskSucceeded(_ task: AgentTask, seconds: Double) {
        let kind = [("task", task.step.kind)]
        CoreMetrics.Counter(label: MetricName.tasksSucceeded, dimensions: kind, factory: factory).increment()
        CoreMetrics.Timer(label: MetricName.taskSeconds, dimensions: kind, factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func taskFailed(_ task: AgentTask) {
        CoreMetrics.Counter(label: MetricName.tasksFailed, dimensions: [("task", task.step.kind)], factory: factory).increment()
    }
    func resourceFailure() { resourceFailures.increment() }
    func selfFenced() { selfFences.increment() }
    func leaseRenewed(seconds: Double) { CoreMetrics.Gauge(label: MetricName.leaseRenewSeconds, factory: factory).record(seconds) }
    /// This node leads from `at` on (a recovery fenced since counts whole, even one it finds done
    /// at its first view), or no longer leads.
    func leader(_ on: Bool, at: Timestamp = .wallClockNow) {
        isLeader.record(on ? 1 : 0)
        published.withLock {
            $0.recoveries = nil
            $0.leadingSince = at
        }
    }

    /// Records what the leader decided: restarts, failovers and moves, by directive.
    func directive(_ directive: Directive) {
        let counter: CoreMetrics.Counter? = switch directive.action {
        case .restartResource: restarts
        case .bringOnline(_, _, _, .failover): failovers
        case .liveMigrate, .quickMigrate, .bringOnline(_, _, _, .move): moves
        default: nil
        }
        counter?.increment()
    }

    /// How long a suspected node had been silent when its peers' suspicion reached the leader.
    func nodeSuspected(silentFor: Duration) {
        CoreMetrics.Timer(label: MetricName.recoveryDetect, factory: factory).recordNanoseconds(silentFor.nanoseconds)
    }

    /// Publishes the leader's view of node and group states (one gauge per possible state, 1 for the
    /// current one), and every recovery phase completed since the last view as a histogram sample.
    func clusterView(_ coordinator: ClusterCoordinator) {
        let nodes = coordinator.nodes.mapValues(\.state.rawValue)
        let groups = coordinator.states.mapValues(\.status.name)
        let (goneNodes, goneGroups, phases) = published.withLock { p in
            let gone = (p.nodes.subtracting(nodes.keys.map(\.rawValue)), p.groups.subtracting(groups.keys.map(\.rawValue)))
            p.nodes = Set(nodes.keys.map(\.rawValue))
            p.groups = Set(groups.keys.map(\.rawValue))
            let now = coordinator.states.mapValues(\.recovery)
            // At the first view, the recoveries fenced before this node led were counted by the leader then.
            let since = p.leadingSince
            let before = p.recoveries ?? now.mapValues { $0.flatMap { $0.fenced < since ? $0 : nil } }
            let phases = Self.completedPhases(from: before, to: now)
            p.recoveries = now
            return (gone.0, gone.1, phases)
        }
        for (n, state) in nodes {
            stateSet(MetricName.nodeState, ("node", n.rawValue), NodeState.allCases.map(\.rawValue), current: state)
        }
        for (g, status) in groups {
            stateSet(MetricName.groupStatus, ("group", g.rawValue), GroupStatus.names, current: status)
        }
        for n in goneNodes { stateSet(MetricName.nodeState, ("node", n), NodeState.allCases.map(\.rawValue), current: nil) }
        for g in goneGroups { stateSet(MetricName.groupStatus, ("group", g), GroupStatus.names, current: nil) }
        for phase in phases {
            CoreMetrics.Timer(label: phase.name, dimensions: [("proof", phase.proven ? "proven" : "lease")], factory: factory)
                .recordNanoseconds(phase.milliseconds * 1_000_000)
        }
    }

    /// One gauge per possible value (1 for `current`); `current` nil removes them all.
    private func stateSet(_ label: String, _ key: (String, String), _ values: [String], current: String?) {
        for value in values {
            let gauge = CoreMetrics.Gauge(label: label, dimensions: [key, ("state", value)], factory: factory)
            if let current { gauge.record(value == current ? 1 : 0) } else { gauge.destroy() }
        }
    }

    /// A recovery phase that became known between two views: its histogram and its length.
    struct Phase: Equatable {
        var name: String
        var proven: Bool
        var milliseconds: Int64
    }

    /// The phases (fence, start, online, first probe; each measured from the loss's detection) that
    /// a recovery completed between two views of the groups' last recoveries.
    static func completedPhases(from old: [GroupID: RecoveryTimes?], to new: [GroupID: RecoveryTimes?]) -> [Phase] {
        var phases: [Phase] = []
        for (g, recovery) in new {
            guard let r = recovery, let origin = r.detected else { continue }
            // The same recovery as before (same node and fence): only its newly known phases count.
            let before = old[g].flatMap { $0 }.flatMap { $0.node == r.node && $0.fenced == r.fenced ? $0 : nil }
            let marks: [(String, Timestamp?, Timestamp?)] = [
                (MetricName.recoveryFence, r.fenced, before?.fenced),
                (MetricName.recoveryStart, r.started, before?.started),
                (MetricName.recoveryOnline, r.online, before?.online),
                (MetricName.recoveryFirstProbe, r.firstProbe, before?.firstProbe),
            ]
            for (name, now, then) in marks {
                if let now, then == nil { phases.append(Phase(name: name, proven: r.proven, milliseconds: (now - origin).milliseconds)) }
            }
        }
        return phases.sorted { ($0.name, $0.milliseconds) < ($1.name, $1.milliseconds) }
    }
}

/// The names of Vigil's metrics (README's "Metrics" lists them with their meaning).
enum MetricName {
    static let tasksSucceeded = "vigil_tasks_succeeded_total"
    static let tasksFailed = "vigil_tasks_failed_total"
    static let taskSeconds = "vigil_task_seconds"
    static let resourceFailures = "vigil_resource_failures_total"
    static let selfFences = "vigil_self_fences_total"
    static let leaseRenewSeconds = "vigil_lease_renew_seconds"
    static let leader = "vigil_leader"
    static let restarts = "vigil_restarts_total"
    static let failovers = "vigil_failovers_total"
    static let moves = "vigil_moves_total"
    static let nodeState = "vigil_node_state"
    static let groupStatus = "vigil_group_status"
    static let recoveryDetect = "vigil_recovery_detect_seconds"
    static let recoveryFence = "vigil_recovery_fence_seconds"
    static let recoveryStart = "vigil_recovery_start_seconds"
    static let recoveryOnline = "vigil_recovery_online_seconds"
    static let recoveryFirstProbe = "vigil_recovery_first_probe_seconds"
    static let recoveryPhases = [recoveryDetect, recoveryFence, recoveryStart, recoveryOnline, recoveryFirstProbe]
    /// Recovery phases: from a fast fence (a few hundred ms) to an NFS lock release (90 s and more).
    static let recoveryBuckets: [Duration] = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15, 30, 60, 120]
        .map { Duration.milliseconds(Int64($0 * 1000)) }
    /// Task durations: a restart in a fraction of a second to a long live migration.
    static let taskBuckets: [Duration] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800]
        .map { Duration.milliseconds(Int64($0 * 1000)) }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating beyond ~292 years).
    var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : ns + atto / 1_000_000_000
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
