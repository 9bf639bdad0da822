import HACore

/// Checks the safety and liveness invariants against the simulated world's truth and the
/// coordinator's directives; independent of how the coordinator reaches its decisions.
public struct InvariantChecker: Sendable {
    /// Every violation found, with the time.
    public private(set) var violations: [String] = []
    /// Restart times per group and node (the threshold applies per node).
    private var restarts: [String: [Timestamp]] = [:]
    private var failovers: [GroupID: [Timestamp]] = [:]
    /// The node of each group's last failover start, until its outcome (a disk-lock refusal undoes it).
    private var failoverTarget: [GroupID: NodeID] = [:]
    /// Where (node and lease) each group's guests last ran, unless they were stopped cleanly since.
    var lastHost: [GroupID: (node: NodeID, lease: Int)] = [:]
    /// The groups the coordinator held failed after its last decision.
    private var failedGroups: Set<GroupID> = []
    let policies: [GroupID: GroupPolicy]
    let selfFenceDelay: TimeSpan
    /// With strict anti-affinity, a node holding a group of the same class does not count as room.
    var strictAntiAffinity = false

    init(groups: [GroupDefinition], selfFenceDelay: TimeSpan) {
        policies = Dictionary(uniqueKeysWithValues: groups.map { ($0.id, $0.policy) })
        self.selfFenceDelay = selfFenceDelay
    }

    mutating func fail(_ now: Timestamp, _ what: String) { violations.append("\(now) \(what)") }

    /// True if what `node` ran under lease `lease` is known gone: that lease was lost and then the
    /// fence device confirmed, or the watchdog surely fired.
    static func knownFenced(_ node: SimNode, lease: Int, at now: Timestamp, selfFenceDelay: TimeSpan) -> Bool {
        if node.fencedLeases.contains(lease) { return true }
        guard let lost = node.leaseLosses[lease] else { return false }
        if let f = node.fenceConfirmedAt, f >= lost { return true }
        return now >= lost + selfFenceDelay
    }

    /// An operator's move or start request clears a group's failure history (as the coordinator does).
    mutating func operatorRequest(_ g: GroupID) {
        failovers[g] = nil
        restarts = restarts.filter { !$0.key.hasPrefix("\(g)@") }
    }

    /// A start was refused by disk locks: if it was a failover, that failover did not happen.
    mutating func startRefused(_ g: GroupID, on n: NodeID) {
        guard failoverTarget.removeValue(forKey: g) == n, var times = failovers[g], !times.isEmpty else { return }
        times.removeLast()
        failovers[g] = times
    }

    /// Checks a directive when it is issued.
    mutating func onDirective(_ d: Directive, world: World, at now: Timestamp) {
        switch d.action {
        case .restartResource(let g, _, let n):
            let key = "\(g)@\(n)"
            restarts[key] = count(restarts[key] ?? [], g, now, policies[g]!.restart, "restarts on \(n)")
        case .bringOnline(let g, let target, _, let cause):
            if cause == .failover { failovers[g] = count(failovers[g] ?? [], g, now, policies[g]!.failover, "failovers") }
            failoverTarget[g] = cause == .failover ? target : nil
            for vm in world.vmNames(g) {
                // Under a dead agent (or one not heard from since) the guests run on unseen; their disk
                // locks refuse the start.
                for h in world.hosts(of: vm) where h != target && !world.nodes[h]!.unseen {
                    fail(now, "\(g) brought online on \(target) while \(vm) still runs on \(h)")
                }
            }
            if let (a, lease) = lastHost[g], a != target, let node = world.nodes[a],
               !node.unseen, !node.connected || node.leaseLosses[lease] != nil,
               !Self.knownFenced(node, lease: lease, at: now, selfFenceDelay: selfFenceDelay) {
                fail(now, "\(g) moved to \(target) before its source \(a) was fenced")
            }
        default: break
        }
    }

    /// Checks the groups the coordinator holds failed after a decision: one newly failed must have
    /// used up its failovers.
    mutating func afterDecision(coordinator: ClusterCoordinator, at now: Timestamp) {
        let failed = Set(coordinator.states.filter { $0.value.status == .failed }.keys)
        for g in failed.subtracting(failedGroups).sorted() { groupFailed(g, at: now) }
        failedGroups = failed
    }

    /// A group was left failed at `now`.
    mutating func groupFailed(_ g: GroupID, at now: Timestamp) {
        guard let p = policies[g]?.failover else { return }
        let n = (failovers[g] ?? []).filter { $0 > now - p.period }.count
        if n < p.threshold { fail(now, "\(g) marked failed after only \(n) failover(s) (threshold \(p.threshold))") }
    }

    private mutating func count(_ previous: [Timestamp], _ g: GroupID, _ now: Timestamp,
                                _ p: ThresholdPolicy, _ what: String) -> [Timestamp] {
        let times = previous.filter { $0 > now - p.period } + [now]
        if times.count > p.threshold { fail(now, "\(g): \(times.count) \(what) within \(p.period), threshold \(p.threshold)") }
        return times
    }

    /// Checks the world after every step: no VM on two nodes, no node over its capacity.
    mutating func afterStep(world: World, at now: Timestamp) {
        for (n, node) in world.nodes where node.alive {
            for vm in node.running {
                let hosts = world.hosts(of: vm)
                if hosts.count > 1 && hosts.first == n { fail(now, "\(vm) runs on \(hosts.map(\.rawValue).joined(separator: " and "))") }
                lastHost[world.groupOfVM[vm]!] = (n, node.leaseEpoch)
            }
            let used = world.usedMemory(n)
            if used.memory > node.capacity.memoryMiB - node.capacity.reservedMemoryMiB || used.vcpus > node.capacity.vcpus {
                fail(now, "\(n) overcommitted: \(used.memory) MiB, \(used.vcpus) vCPUs in use")
            }
        }
    }

    /// Liveness once faults are healed and the cluster settled: every group that may run and fits runs.
    mutating func atEnd(world: World, coordinator: ClusterCoordinator, at now: Timestamp) {
        for (id, def) in world.groups.sorted(by: { $0.key < $1.key }) {
            if def.policy.priority == .noAutoStart || coordinator.states[id]?.status == .failed { continue }
            let hosts = Set(world.vmNames(id).flatMap { world.hosts(of: $0) })
            let complete = world.vmNames(id).allSatisfy { !world.hosts(of: $0).isEmpty }
            if hosts.count == 1 && complete { continue }
            let fitting = world.nodes.keys.sorted().filter { n in
                let node = world.nodes[n]!
                let used = world.usedMemory(n)
                let classes = Set(node.running.flatMap { policies[world.groupOfVM[$0]!]!.antiAffinityClasses })
                if strictAntiAffinity && !classes.isDisjoint(with: def.policy.antiAffinityClasses) { return false }
                return node.connected && def.policy.allows(n)
                    && node.capacity.memoryMiB - node.capacity.reservedMemoryMiB - used.memory >= def.memoryMiB
                    && node.capacity.vcpus - used.vcpus >= def.vcpus
            }
            if !fitting.isEmpty {
                fail(now, "\(id) is not online at the end (status \(coordinator.states[id].map { "\($0.status)" } ?? "?")) although it fits on \(fitting.map(\.rawValue).joined(separator: ","))")
            }
        }
    }
}
