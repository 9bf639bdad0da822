import Foundation
import HACoordination
import HACore
import Libvirt

extension NodeAgent {
    // MARK: looksAlive: libvirt lifecycle events

    /// Turns unexpected stops of HA domains running here into `resourceFailed` within milliseconds.
    func consume(_ events: AsyncStream<DomainEvent>) async {
        for await event in events {
            await handle(event)
        }
    }

    func handle(_ event: DomainEvent) async {
        if event.kind == .defined { return writeBack(event) }
        if event.kind == .started, event.startedDetail == .migrated, let (g, _) = haResource(of: event.domainName) {
            // A live migration brought this group here: watch it from now on.
            onlineHere.insert(g)
            startedAt[event.domainName] = ContinuousClock.now
            return
        }
        guard event.kind == .stopped || event.kind == .crashed, let (g, r) = haResource(of: event.domainName) else { return }
        if expectedStops.remove(event.domainName) != nil { return }
        guard onlineHere.contains(g), !busy.contains(g), !fenced else { return }
        logger.warning("HA domain stopped unexpectedly", metadata: [
            "vm.name": "\(event.domainName)", "group": "\(g)", "event": "\(event.kind)", "detail": "\(event.detail)"])
        await reportFailure(g, r)
    }

    /// Writes an operator's change to a running HA domain's definition back to its XML on shared
    /// storage (atomically), as Hyper-V keeps its configuration resource current.
    private func writeBack(_ event: DomainEvent) {
        let updated: Int32 = 1  // VIR_DOMAIN_EVENT_DEFINED_UPDATED
        guard event.detail == updated, let (g, vm) = haResource(of: event.domainName), onlineHere.contains(g), !busy.contains(g),
              let started = startedAt[event.domainName], ContinuousClock.now - started > .seconds(2),
              let spec = specs[g], let configPath = spec.configurationPath(of: vm) else { return }
        do {
            let xml = try hypervisor.persistentXML(of: event.domainName)
            try VMConfigurationResource(path: configPath, domainName: event.domainName, storage: sharedStorage).writeBack(xml: xml)
            logger.notice("definition change written back to shared storage", metadata: ["vm.name": "\(event.domainName)", "path": "\(configPath)"])
        } catch {
            logger.error("cannot write the changed definition back", metadata: ["vm.name": "\(event.domainName)", "error": "\(error)"])
        }
    }

    /// Tells the leader that a resource failed here, once: until the leader's next task for the
    /// group, further signs of the same failure (event, probe, reconcile) are not counted again.
    func reportFailure(_ g: GroupID, _ r: ResourceID) async {
        onlineHere.remove(g)
        guard reported.insert(g).inserted else { return }
        metrics.resourceFailure()
        await tellLeader(.event(.resourceFailed(g, r, on: node)))
    }

    // MARK: isAlive: in-guest probe

    /// Probes every HA guest running here (the probe and its interval may change on reload).
    func probeLoop() async throws {
        while true {
            try await Task.sleep(for: .seconds(configuration.health.probeIntervalSeconds))
            if !configuration.health.probeCommand.isEmpty { await probeOnce() }
        }
    }

    private func probeOnce() async {
        let grace = Duration.seconds(configuration.health.probeStartGraceSeconds)
        for g in onlineHere where !busy.contains(g) {
            guard let spec = specs[g] else { continue }
            for domain in spec.domainNames {
                if let started = startedAt[domain], ContinuousClock.now - started < grace { continue }
                let alive = await Probe.run(configuration.health.probeCommand + [domain], timeout: .seconds(5))
                probeFailures[domain] = alive ? 0 : probeFailures[domain, default: 0] + 1
                guard probeFailures[domain, default: 0] >= configuration.health.probeFailures, onlineHere.contains(g) else { continue }
                logger.warning("HA guest failed its health probe", metadata: [
                    "vm.name": "\(domain)", "group": "\(g)", "failures": "\(probeFailures[domain, default: 0])"])
                probeFailures[domain] = 0
                await reportFailure(g, haResource(of: domain)?.resource ?? ResourceID(domain))
            }
        }
    }

    // MARK: Reconcile: the safety net behind events

    func reconcileLoop() async throws {
        try await reconcile(startup: true)
        while true {
            try await Task.sleep(for: .seconds(configuration.health.reconcileIntervalSeconds))
            try? await reconcile(startup: false)
        }
    }

    /// Compares the domains on this host with what the coordinator believes: adopts HA domains it
    /// places here, stops and undefines those it places elsewhere (a host back from the dead), and
    /// reports HA domains that should run here but do not.
    func reconcile(startup: Bool) async throws {
        guard !fenced else { return }
        let believed = try await believedStatus()
        let domains = try hypervisor.domains()
        for domain in domains {
            guard let (g, _) = haResource(of: domain.name), !busy.contains(g) else { continue }
            let status = believed[g]
            // A move under way is the moving nodes' business: the source reports how it ended.
            if case .migrating? = status { continue }
            let mine = status?.nodes == [node]
            if domain.state.isActive, !onlineHere.contains(g) {
                if mine {
                    logger.notice("adopting HA domain running here", metadata: ["vm.name": "\(domain.name)", "group": "\(g)"])
                    onlineHere.insert(g)
                    await tellLeader(.event(.groupOnline(g, on: node)))
                } else if status != nil || !startup {
                    logger.warning("stopping HA domain that the cluster places elsewhere", metadata: [
                        "vm.name": "\(domain.name)", "group": "\(g)", "owner": "\(status?.nodes.map(\.rawValue) ?? [])"])
                    expect(stops: [domain.name])
                    try? VMResource(domainName: domain.name, hypervisor: hypervisor).forceOffline()
                }
            } else if !domain.state.isActive, status?.nodes.contains(node) != true {
                // A stopped HA domain exists only on its owner.
                try? hypervisor.undefine(domain.name)
            }
        }
        let active = Set(domains.filter { $0.state.isActive }.map(\.name))
        // Groups the cluster believes online here: watched from now on, whoever started them.
        for (g, status) in believed where status == .online(node) && !busy.contains(g) && !onlineHere.contains(g) && !reported.contains(g) {
            guard let spec = specs[g] else { continue }
            if spec.domainNames.allSatisfy(active.contains) {
                onlineHere.insert(g)
            } else {
                logger.warning("HA group the cluster places here is not running", metadata: ["group": "\(g)"])
                await reportFailure(g, spec.definition.vms.first?.id ?? ResourceID(g.rawValue))
            }
        }
        for g in onlineHere where !busy.contains(g) {
            guard let spec = specs[g], let missing = spec.domainNames.first(where: { !active.contains($0) }) else { continue }
            logger.warning("HA domain missing on its owner", metadata: ["vm.name": "\(missing)", "group": "\(g)"])
            await reportFailure(g, haResource(of: missing)?.resource ?? ResourceID(missing))
        }
    }

    /// Each group's status in the coordinator's last stored state (empty before any leader wrote one).
    private func believedStatus() async throws -> [GroupID: GroupStatus] {
        guard let stored = try await StoredCoordinator.load(from: store) else { return [:] }
        return stored.states.mapValues(\.status)
    }

    // MARK: Self-fencing

    /// Powers off and undefines every HA domain on this host, without the store (it may be
    /// unreachable): the membership calls this before its lease could expire.
    func fence(reason: String) async {
        fenced = true
        let names = Set(specs.values.flatMap(\.domainNames))
        expect(stops: Array(names))
        for domain in (try? hypervisor.domains()) ?? [] where names.contains(domain.name) {
            do {
                try VMResource(domainName: domain.name, hypervisor: hypervisor).forceOffline()
                logger.critical("self-fence: HA domain powered off", metadata: ["vm.name": "\(domain.name)", "reason": "\(reason)"])
            } catch {
                logger.critical("self-fence: cannot power off HA domain", metadata: ["vm.name": "\(domain.name)", "error": "\(error)"])
            }
        }
        onlineHere = []
        reported = []
        queued = [:]
        metrics.selfFenced()
    }

    /// The membership holds a lease again: tasks may run.
    func rejoined() {
        fenced = false
    }
}

/// The membership's self-fence, wired to this node's agent.
struct NodeAgentFence: SelfFence {
    let agent: NodeAgent
    func stopHADomains(reason: String) async { await agent.fence(reason: reason) }
}

/// Runs an in-guest health probe command; exit status 0 within the timeout means alive.
enum Probe {
    static func run(_ command: [String], timeout: Duration) async -> Bool {
        guard let executable = command.first else { return true }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                return false
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus == 0
    }
}
