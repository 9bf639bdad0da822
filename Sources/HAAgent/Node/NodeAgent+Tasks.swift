import Blocking
import ClusterSchema
import Foundation
import HACoordination
import HACore
import Libvirt

extension NodeAgent {
    /// Performs one task's step on this host and says how it went.
    func run(_ task: AgentTask) async -> TaskReport {
        let g = task.group
        logger.info("performing task", metadata: ["group": "\(g)", "task": "\(task.step)", "reason": "\(task.reason)"])
        guard let spec = await definition(of: g) else {
            return TaskReport(task: task, failure: "group \(g) has no definition in the store")
        }
        let domains = spec.domainNames
        let clock = ContinuousClock()
        let started = clock.now
        let runner = runner(for: spec)
        do {
            switch task.step {
            case .bringOnline:
                try await blocking { try runner.online(spec.definition) }
                await MoveJournal.supersede(g, onlineOn: node, in: store, logger: logger)
            case .restart(let resource):
                try await restart(resource, of: spec)
            case .takeOffline:
                try await takeOffline(spec)
            case .liveMigrate(let target):
                try await liveMigrate(spec, to: target, task: task)
            case .quickSave(let target):
                try await quickSave(spec, to: target, task: task)
            case .quickRestore(let source):
                try await quickRestore(spec, from: source, task: task)
            }
            metrics.taskSucceeded(task, seconds: (clock.now - started).seconds)
            logger.info("task done", metadata: ["group": "\(g)", "task": "\(task.step)", "seconds": "\((clock.now - started).seconds)"])
            return TaskReport(task: task)
        } catch {
            let running = await blocking { [hypervisor] in
                domains.contains { (try? hypervisor.state(of: $0))??.isActive == true }
            }
            var locked = false
            let migratingIn = (error as? GroupActionError)?.migratingIn == true
            if case .bringOnline = task.step { locked = !running && DiskLockRefusal.matches(error) }
            if case .bringOnline = task.step, migratingIn {
                // The incoming side of a live migration its source still drives (its agent may be unreachable):
                // the guest runs there until the migration ends, there or here. Left alone, not a failure; the
                // leader retries later (then it runs here and is adopted, or the incoming domain is gone).
                logger.warning("start refused: the VM is migrating in to this host, its source still runs it",
                               metadata: ["group": "\(g)", "error": "\(error)"])
                return TaskReport(task: task, failure: "\(error)", failedResource: (error as? GroupActionError)?.resource,
                                  stillRunningHere: false, refusedByDiskLocks: true)
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
                              stillRunningHere: running, refusedByDiskLocks: locked, targetUnreachable: error is MoveTargetUnreachable)
        }
    }

    /// The group's definition: as the watch delivered it, or, for a group added an instant ago whose
    /// task arrived before its definition (two watches, no order between them), read from the store.
    private func definition(of g: GroupID) async -> GroupSpec? {
        if let spec = specs[g] { return spec }
        do {
            guard let kv = try await store.get(ClusterKeys.group(g)) else { return nil }
            let spec = try ClusterKeys.groups.decode(kv.value, key: kv.key)
            if specs[g] == nil { specs[g] = spec }
            return spec
        } catch {
            logger.warning("cannot read the group's definition", metadata: ["group": "\(g)", "error": "\(error)"])
            return nil
        }
    }

    /// Restarts a failed resource in place. A VM that still runs failed its in-guest probe (a hung
    /// guest OS): it is powered off at once, since a failed guest cannot be trusted to shut down,
    /// and undefined; then the group comes online again, which starts it afresh from shared storage.
    private func restart(_ resource: ResourceID, of spec: GroupSpec) async throws {
        let vm = spec.definition.vms.first { $0.id == resource }
        if case .virtualMachine(let domain, _, _, _)? = vm?.kind,
           try await blocking({ [hypervisor] in try hypervisor.state(of: domain)?.isActive == true }) {
            await feed(.stopsExpected([domain]))
            logger.notice("powering off a failed guest to restart it", metadata: ["vm.name": "\(domain)", "group": "\(spec.definition.id)"])
            try await blocking { [hypervisor] in try VMResource(domainName: domain, hypervisor: hypervisor).forceOffline() }
        }
        try await blocking { [runner = runner(for: spec)] in try runner.online(spec.definition) }
    }

    private func takeOffline(_ spec: GroupSpec) async throws {
        let deadline = Duration.seconds(configuration.health.shutdownDeadlineSeconds)
        let runner = runner(for: spec)
        do {
            try await blocking { try runner.offline(spec.definition, deadline: deadline) }
        } catch {
            // An orderly stop failed: power the VMs off so the group can move; storage is retried.
            logger.warning("orderly offline failed; forcing", metadata: ["group": "\(spec.definition.id)", "error": "\(error)"])
            try await blocking { [hypervisor] in
                for domain in spec.domainNames { try VMResource(domainName: domain, hypervisor: hypervisor).forceOffline() }
                try runner.offline(spec.definition, deadline: .zero)
            }
        }
    }

    /// Live-migrates the group's VMs one after another, each under a `MigrationSupervisor` (budget,
    /// no-progress timeout, ladder), publishing progress and every rung in the move's record.
    private func liveMigrate(_ spec: GroupSpec, to target: NodeID, task: AgentTask) async throws {
        guard let kv = try await store.get(ClusterKeys.agent(target)) else {
            throw AgentError.unknownPeer(target)
        }
        let peer = try StoreCoding.decode(AgentRecord.self, kv.value, key: kv.key)
        let settings = configuration.migration
        let options = LiveMigrationOptions(allowUnsafe: settings.allowUnsafe, bandwidthMiBps: settings.bandwidthMiBps,
                                           maxDowntimeMilliseconds: settings.maxDowntimeMilliseconds)
        let limits = settings.limits.overridden(by: spec.definition.policy.migration)
        let journal = MoveJournal(store: store, node: node, record: MoveRecord(
            id: task.moveID, group: spec.definition.id, from: node, to: target, method: .live, phase: .migrating, at: .wallClockNow), logger: logger)
        await journal.begin()
        let g = spec.definition.id
        var moved = 0
        do {
            for vm in spec.definition.vms {
                guard case .virtualMachine(let domain, let memoryMiB, _, _) = vm.kind else { continue }
                var migration = SupervisedMigration(hypervisor: hypervisor, domain: domain, destinationURI: peer.migrationURI, options: options,
                                                    limits: limits, memoryMiB: memoryMiB,
                                                    sampleInterval: .milliseconds(settings.sampleIntervalMilliseconds), journal: journal)
                // Once one of its VMs runs on the target, the group finishes its move: an abort now would split it.
                if moved == 0 { migration.abortRequest = { [self] in abortRequests.withLock { $0[g] } } }
                try await migration.run()
                moved += 1
            }
            if moved > 0, let request = abortRequests.withLock({ $0[g] }), spec.definition.vms.count > 1 {
                await journal.step(vm: nil, "abort declined", reason: "\(request); but its first VM already ran on \(target), so the group finished its move rather than be split")
            }
            await journal.update { $0.phase = .done }
        } catch let aborted as MigrationAborted where aborted.requested {
            await journal.step(vm: aborted.domain, "live migration aborted", reason: "\(aborted.reason); the group keeps running on \(node)", phase: .aborted)
            throw aborted
        } catch {
            let failure: any Error = await unreachable(target, after: error) ?? error
            await journal.step(vm: nil, "live migration failed", reason: "\(failure)", phase: .failed)
            throw failure
        }
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
