import Blocking
import Foundation
import HACoordination
import HACore
import Libvirt

extension NodeAgent {
    /// Follows `tasks/<this node>/`: each task runs once, one at a time per group, in order.
    func watchTasks() async throws {
        try await followPrefix(ClusterKeys.tasks(of: node)) { kvs in
            for kv in kvs { self.accept(kv) }
        } onPut: { kv in
            self.accept(kv)
        } onDelete: { _ in }
    }

    private func accept(_ kv: KeyValue) {
        guard let task = try? StoreCoding.decode(AgentTask.self, kv.value, key: kv.key) else {
            return logger.error("ignoring unreadable task", metadata: ["key": "\(kv.key)"])
        }
        if queued[task.group, default: []].contains(where: { $0.task.id == task.id }) { return }
        queued[task.group, default: []].append((task, kv.modRevision))
        startNext(task.group)
    }

    private func startNext(_ group: GroupID) {
        guard !busy.contains(group), !fenced, var waiting = queued[group], !waiting.isEmpty else { return }
        let (task, revision) = waiting.removeFirst()
        queued[group] = waiting
        busy.insert(group)
        reported.remove(group)
        Task {
            let report = await self.perform(task)
            await self.finish(report, revision: revision)
        }
    }

    /// Reports the task and removes it, unless the leader replaced it meanwhile.
    private func finish(_ report: TaskReport, revision: Revision) async {
        let task = report.task
        let message = InboxMessage(sender: node.rawValue, body: .taskDone(report))
        let key = ClusterKeys.task(node, task.group)
        do {
            _ = try await store.transaction(Transaction(
                compare: [],
                success: [.put(ClusterKeys.inbox(message.id), try StoreCoding.encode(message))]))
            _ = try await store.transaction(Transaction(compare: [.modRevision(key, equals: revision)], success: [.delete(key)]))
        } catch {
            logger.error("cannot report task", metadata: ["task": "\(task.id)", "group": "\(task.group)", "error": "\(error)"])
        }
        busy.remove(task.group)
        startNext(task.group)
    }

    /// Performs one task on this host and says how it went.
    func perform(_ task: AgentTask) async -> TaskReport {
        let g = task.group
        logger.info("performing task", metadata: ["group": "\(g)", "task": "\(task.step)", "reason": "\(task.reason)"])
        guard let spec = specs[g] else {
            return TaskReport(task: task, failure: "group \(g) has no definition in the store")
        }
        let domains = spec.domainNames
        let clock = ContinuousClock()
        let started = clock.now
        do {
            switch task.step {
            case .bringOnline:
                try await bringOnline(spec)
            case .restart(let resource):
                try await restart(resource, of: spec)
            case .takeOffline:
                try await takeOffline(spec)
            case .liveMigrate(let target):
                try await liveMigrate(spec, to: target)
            case .quickSave:
                expect(stops: domains)
                onlineHere.remove(g)
                try await blocking { [runner = runner(for: spec)] in try runner.saveForQuickMigration(spec.definition) }
            case .quickRestore:
                try await blocking { [runner = runner(for: spec)] in try runner.restoreFromQuickMigration(spec.definition) }
                markStarted(spec)
            }
            metrics.taskSucceeded(task, seconds: (clock.now - started).seconds)
            logger.info("task done", metadata: ["group": "\(g)", "task": "\(task.step)", "seconds": "\((clock.now - started).seconds)"])
            return TaskReport(task: task)
        } catch {
            let running = (try? await blocking { [hypervisor] in
                domains.contains { (try? hypervisor.state(of: $0))??.isActive == true }
            }) ?? false
            var locked = false
            if case .bringOnline = task.step {
                if running { onlineHere.insert(g) }
                locked = !running && DiskLockRefusal.matches(error)
            }
            if locked {
                // Another host has the disks open: the VM runs there (its agent may be unreachable), or that
                // host's locks are still being released. Not a failure here; the leader retries later.
                logger.warning("start refused by disk locks: the VM runs elsewhere or its old host's locks remain",
                               metadata: ["group": "\(g)", "error": "\(error)"])
                try? await blocking { [hypervisor] in for d in domains { try hypervisor.undefine(d) } }
            } else {
                metrics.taskFailed(task)
                logger.error("task failed", metadata: ["group": "\(g)", "task": "\(task.step)", "error": "\(error)"])
            }
            return TaskReport(task: task, failure: "\(error)", failedResource: (error as? GroupActionError)?.resource,
                              stillRunningHere: running, refusedByDiskLocks: locked)
        }
    }

    private func bringOnline(_ spec: GroupSpec) async throws {
        expectedStops.subtract(spec.domainNames)
        try await blocking { [runner = runner(for: spec)] in try runner.online(spec.definition) }
        markStarted(spec)
    }

    /// Restarts a failed resource in place. A VM that still runs failed its in-guest probe (a hung
    /// guest OS): it is powered off at once, since a failed guest cannot be trusted to shut down,
    /// and undefined; then the group comes online again, which starts it afresh from shared storage.
    private func restart(_ resource: ResourceID, of spec: GroupSpec) async throws {
        let vm = spec.definition.vms.first { $0.id == resource }
        if case .virtualMachine(let domain, _, _, _)? = vm?.kind, (try hypervisor.state(of: domain))?.isActive == true {
            expect(stops: [domain])
            onlineHere.remove(spec.definition.id)
            logger.notice("powering off a failed guest to restart it", metadata: ["vm.name": "\(domain)", "group": "\(spec.definition.id)"])
            try await blocking { [hypervisor] in try VMResource(domainName: domain, hypervisor: hypervisor).forceOffline() }
        }
        try await bringOnline(spec)
    }

    private func takeOffline(_ spec: GroupSpec) async throws {
        expect(stops: spec.domainNames)
        onlineHere.remove(spec.definition.id)
        let deadline = Duration.seconds(configuration.health.shutdownDeadlineSeconds)
        do {
            try await runner(for: spec).offline(spec.definition, deadline: deadline)
        } catch {
            // An orderly stop failed: power the VMs off so the group can move; storage is retried.
            logger.warning("orderly offline failed; forcing", metadata: ["group": "\(spec.definition.id)", "error": "\(error)"])
            for domain in spec.domainNames { try VMResource(domainName: domain, hypervisor: hypervisor).forceOffline() }
            try await runner(for: spec).offline(spec.definition, deadline: .zero)
        }
    }

    private func liveMigrate(_ spec: GroupSpec, to target: NodeID) async throws {
        guard let kv = try await store.get(ClusterKeys.agent(target)) else {
            throw AgentError.unknownPeer(target)
        }
        let peer = try StoreCoding.decode(AgentRecord.self, kv.value, key: kv.key)
        let options = LiveMigrationOptions(allowUnsafe: configuration.migration.allowUnsafe,
                                           bandwidthMiBps: configuration.migration.bandwidthMiBps,
                                           maxDowntimeMilliseconds: configuration.migration.maxDowntimeMilliseconds)
        expect(stops: spec.domainNames)
        for domain in spec.domainNames {
            _ = try await blocking { [hypervisor] in try hypervisor.liveMigrate(domain, to: peer.migrationURI, options: options) }
        }
        onlineHere.remove(spec.definition.id)
    }

    func expect(stops domains: [String]) {
        expectedStops.formUnion(domains)
    }

    private func markStarted(_ spec: GroupSpec) {
        onlineHere.insert(spec.definition.id)
        awaitingFirstProbe[spec.definition.id] = Set(spec.domainNames)
        for domain in spec.domainNames {
            startedAt[domain] = ContinuousClock.now
            probeFailures[domain] = 0
            guestAgentChannel[domain] = nil
            guestAgentAnswered.remove(domain)
        }
    }

    /// Runs blocking libvirt work on a thread of its own (see `BlockingCall`): off the actor, so
    /// events and other groups' tasks go on, and off the cooperative pool, so lease renewals do too.
    @discardableResult
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingCall.run("vigil-libvirt", work)
    }
}

/// Problems the agent itself detects.
public enum AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownPeer(NodeID)
    case lockManagerMissing(path: String, found: String)

    public var description: String {
        switch self {
        case .unknownPeer(let n): "node \(n) has published no migration address (is its agent running?)"
        case let .lockManagerMissing(path, found):
            "\(path) must set lock_manager = \"lockd\" so that no disk can ever be opened on two hosts (found: \(found))"
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
