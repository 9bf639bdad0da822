import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging

extension LeaderShell {
    /// Turns one input into coordinator events and commits the outcome.
    func handle(_ input: LeaderInput) async throws {
        switch input {
        case .nodeRecord(let record):
            let known = coordinator.nodes[record.id]
            guard known == nil || known!.state == .down || known!.unconfirmedUntil != nil || known!.capacity != record.capacity
            else { return }
            try await feed([.nodeJoined(record.id, record.capacity)], consuming: nil)
        case .nodeGone(let id):
            guard let known = coordinator.nodes[id], known.state != .down else { return }
            try await feed([.leaseLost(id)], consuming: nil)
        case .peerVerdict(.suspected(let id, let lastHeard)):
            guard coordinator.nodes[id].map({ $0.state != .down && $0.suspectedSince == nil }) ?? false else { return }
            if let peers { metrics.nodeSuspected(silentFor: peers.silence(since: lastHeard)) }
            try await feed([.nodeSuspected(id)], consuming: nil)
        case .peerVerdict(.recovered(let id)):
            guard coordinator.nodes[id]?.suspectedSince != nil else { return }
            try await feed([.nodeHeard(id)], consuming: nil)
        case .nodeUnconfirmed(let id):
            try await feed([.memberUnconfirmed(id)], consuming: nil)
        case .fenced(let id, let outcome, let leaseLost):
            fencing.remove(id)
            switch outcome {
            case .poweredOff(let proof):
                poweredOff[id] = proof
                logger.notice("node fenced", metadata: ["node": "\(id)", "proof": "\(outcome)"])
                // Off for sure: if this coordinator had not even suspected it yet, it is lost as well.
                let known = coordinator.nodes[id]
                let unsuspected = known.map { $0.state != .down && $0.suspectedSince == nil } ?? false
                try await feed((unsuspected ? [.nodeSuspected(id)] : []) + [.nodeFenced(id)], consuming: nil)
            case .watchdogExpired:
                // Holds only if the node did not come back meanwhile (its new agent pets the watchdog).
                guard coordinator.nodes[id]?.state == .down else {
                    return logger.warning("watchdog proof dropped: the node rejoined meanwhile", metadata: ["node": "\(id)"])
                }
                logger.notice("node fenced", metadata: ["node": "\(id)", "proof": "\(outcome)"])
                try await feed([.nodeFenced(id)], consuming: nil)
            case .hostAlive, .unproven:
                logger.warning("node not fenced", metadata: ["node": "\(id)", "why": "\(outcome)"])
                // Fenced on suspicion while its lease ran, and the lease is lost now: its watchdog (if
                // any) can prove its death from here on, and the host may have died since the probe.
                if !leaseLost, coordinator.nodes[id]?.state == .down { startFencing(id) }
            }
        case .groupDefined(let spec):
            specs[spec.definition.id] = spec
            redefineGroups()
            try await feed([.timerFired], consuming: nil)
        case .groupRemoved(let id):
            specs.removeValue(forKey: id)
            redefineGroups()
            try await feed([.timerFired], consuming: nil)
        case .inbox(let key, let message):
            try await handle(message, key: key)
        case .timer:
            try await feed([.timerFired], consuming: nil)
        case .resync(let what):
            throw LeaderError.watchResync(what)
        }
    }

    private func handle(_ message: InboxMessage, key: String) async throws {
        switch message.body {
        case .event(let event):
            try await feed([event], consuming: key)
        case .taskDone(let report):
            let plan = TaskPlanner.plan(report) { g in self.coordinator.definitions[g]?.vms.first?.id }
            if let failure = report.failure {
                logger.warning("task failed on node", metadata: ["group": "\(report.task.group)", "node": "\(report.task.node)",
                                                                 "task": "\(report.task.step.kind)", "error": "\(failure)"])
            }
            try await feed(plan.events, consuming: key, extraTasks: plan.next.map { [$0] } ?? [])
        }
    }

    /// Redefines the coordinator's groups from the current definitions; everything else it knows stays.
    func redefineGroups() {
        coordinator.redefine(groups: specs.values.map(\.definition))
    }

    /// Feeds events to the coordinator and commits its decisions with the inbox message consumed.
    func feed(_ events: [ClusterEvent], consuming inboxKey: String?, extraTasks: [AgentTask] = [], deleting stale: [String] = []) async throws {
        var tasks = extraTasks
        var stale = stale
        var aborts: [MoveAbort] = []
        var records: [DecisionRecord] = []
        for event in events {
            let now = Timestamp.wallClockNow
            let directives = coordinator.handle(event, at: now)
            logger.info("event", metadata: ["event": "\(event)"])
            for directive in directives {
                metrics.directive(directive)
                if let record = DecisionRecord(directive, trigger: event, at: now) { records.append(record) }
                if case .fenceNode(let n) = directive.action {
                    // Fencing first: its outcome is handled only after this commit, and the list below may
                    // wait out an etcd election (the lost host may have led etcd) while the device runs.
                    startFencing(n)
                    // Tasks given to the node before it lost its lease must never run after it rejoins.
                    stale += try await store.list(prefix: ClusterKeys.tasks(of: n).prefix).kvs.map(\.key)
                }
                switch TaskPlanner.plan(directive) {
                case .tasks(let planned):
                    tasks += planned
                    logger.notice("decision", metadata: ["directive": "\(directive.actionDescription)", "reason": "\(directive.reason)"])
                case .timer(let at):
                    schedule(at: at)
                case .abortMove(let g, let n):
                    aborts.append(MoveAbort(group: g, node: n, reason: directive.reason))
                    logger.notice("decision", metadata: ["directive": "\(directive.actionDescription)", "reason": "\(directive.reason)"])
                case .log(let severity):
                    let metadata: Logger.Metadata = ["directive": "\(directive.actionDescription)", "reason": "\(directive.reason)"]
                    switch severity {
                    case .info: logger.info("decision", metadata: metadata)
                    case .warning: logger.warning("decision", metadata: metadata)
                    case .critical: logger.critical("decision", metadata: metadata)
                    }
                }
            }
        }
        try await commit(tasks, consuming: inboxKey, deleting: stale, records: records, aborts: aborts)
        metrics.clusterView(coordinator)
        try await pruneDecisions(after: records.count)
    }

    /// Deletes the oldest decision records beyond the retention limit, once per batch of new ones.
    private func pruneDecisions(after written: Int) async throws {
        decisionsSincePrune += written
        guard decisionsSincePrune >= retention.batch, let token else { return }
        decisionsSincePrune = 0
        let old = retention.pruned(try await store.list(prefix: ClusterKeys.decisions.prefix).kvs.map(\.key))
        guard !old.isEmpty else { return }
        _ = try await store.fencedTransaction(Transaction(compare: [], success: old.map { .delete($0) }), token: token, leaderKey: ClusterKeys.leader)
    }

    /// One fenced transaction: the coordinator snapshot, the new tasks, the consumed message, and the
    /// requests to abort live migrations (a new move of a group clears an older request for it).
    func commit(_ tasks: [AgentTask], consuming inboxKey: String?, deleting stale: [String] = [], records: [DecisionRecord] = [],
                aborts: [MoveAbort] = []) async throws {
        guard let token else { throw LeaderError.deposed }
        // One key per node and group: a later task in the same batch replaces an earlier one.
        var latest: [String: AgentTask] = [:]
        for task in tasks {
            let key = ClusterKeys.task(task.node, task.group)
            if let replaced = latest[key] {
                logger.warning("task replaced within one decision", metadata: ["group": "\(task.group)", "replaced": "\(replaced.step)", "by": "\(task.step)"])
            }
            latest[key] = task
        }
        let next = coordinator.snapshot
        var ops: [TransactionOp] = stale.filter { latest[$0] == nil }.map { .delete($0) }
        ops += try StoredCoordinator.writes(from: committed, toReach: next)
        for (key, task) in latest.sorted(by: { $0.key < $1.key }) { ops.append(.put(key, try StoreCoding.encode(task))) }
        var abortKeys: [String: MoveAbort] = [:]
        for abort in aborts { abortKeys[ClusterKeys.moveAbort(abort.group)] = abort }
        for task in latest.values where task.step.beginsMove && abortKeys[ClusterKeys.moveAbort(task.group)] == nil {
            ops.append(.delete(ClusterKeys.moveAbort(task.group)))
        }
        for (key, abort) in abortKeys.sorted(by: { $0.key < $1.key }) { ops.append(.put(key, try StoreCoding.encode(abort))) }
        if let inboxKey { ops.append(.delete(inboxKey)) }
        for record in records {
            ops.append(.put(ClusterKeys.decision(at: record.at, leader: node, sequence: decisionsWritten), try StoreCoding.encode(record)))
            decisionsWritten += 1
        }
        _ = try await store.fencedTransaction(Transaction(compare: [], success: ops), token: token, leaderKey: ClusterKeys.leader)
        committed = next
    }

    /// Proves in the background that a lost node runs nothing (`NodeFencer`); the outcome comes back
    /// through the input stream.
    func startFencing(_ n: NodeID) {
        guard let inputs, fencing.insert(n).inserted else { return }
        if let proof = poweredOff[n] {
            inputs.yield(.fenced(n, .poweredOff("already powered off: \(proof)"), leaseLost: true))
            return
        }
        let fencer = self.fencer
        let leaseLost = coordinator.nodes[n]?.state == .down
        timers.append(Task {
            let outcome = await fencer.fence(n, leaseLost: leaseLost)
            if !Task.isCancelled { inputs.yield(.fenced(n, outcome, leaseLost: leaseLost)) }
        })
    }

    /// Feeds `timerFired` at wall-clock time `at` (the coordinator's `waitUntil`), through the input
    /// stream so that every coordinator step and its commit stay strictly ordered.
    func schedule(at: Timestamp) {
        guard let inputs else { return }
        let delay = max(0, at.milliseconds - Timestamp.wallClockNow.milliseconds)
        timers.append(Task {
            try? await Task.sleep(for: .milliseconds(delay + 5))
            if !Task.isCancelled { inputs.yield(.timer) }
        })
    }
}
