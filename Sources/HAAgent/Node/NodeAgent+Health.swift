import Blocking
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
        if await tellLeader(.event(.resourceFailed(g, r, on: node))) {
            metrics.resourceFailure()
        } else {
            // Not delivered: the failure is still unreported, so the next sign of it (an event, a
            // probe, the periodic reconcile) reports it again.
            reported.remove(g)
        }
    }

    // MARK: isAlive: in-guest probe

    /// Probes every HA guest running here (the probe and its interval may change on reload).
    func probeLoop() async throws {
        while true {
            try await Task.sleep(for: .seconds(configuration.health.probeIntervalSeconds))
            await probeOnce()
        }
    }

    /// One round: every HA guest is probed at once (a hung guest must not delay the others);
    /// consecutive failures past the threshold are reported as a failure.
    private func probeOnce() async {
        await learnGuestAgentChannels()
        let grace = Duration.seconds(configuration.health.probeStartGraceSeconds)
        var due: [(group: GroupID, domain: String, method: ProbeMethod)] = []
        for g in onlineHere where !busy.contains(g) {
            guard let spec = specs[g] else { continue }
            for domain in spec.domainNames {
                let booting = startedAt[domain].map { ContinuousClock.now - $0 < grace } ?? false
                if let method = probeMethod(for: domain, booting: booting) { due.append((g, domain, method)) }
            }
        }
        guard !due.isEmpty else { return }
        let health = configuration.health
        let results = await withTaskGroup(of: (Int, ProbeOutcome).self) { group in
            for (i, item) in due.enumerated() {
                group.addTask { [hypervisor] in (i, await item.method.run(item.domain, health: health, hypervisor: hypervisor)) }
            }
            var results: [(Int, ProbeOutcome)] = []
            for await result in group { results.append(result) }
            return results
        }
        for (i, outcome) in results.sorted(by: { $0.0 < $1.0 }) {
            let (g, domain, method) = due[i]
            if outcome == .agentAnswered { guestAgentAnswered.insert(domain) }
            if outcome == .agentAnswered || outcome == .alive { await firstProbeAnswered(g, domain) }
            guard outcome != .notCounted else { continue }
            probeFailures[domain] = outcome == .dead ? probeFailures[domain, default: 0] + 1 : 0
            guard probeFailures[domain, default: 0] >= health.probeFailures, onlineHere.contains(g) else { continue }
            logger.warning("HA guest failed its health probe", metadata: [
                "vm.name": "\(domain)", "group": "\(g)", "probe": "\(method)",
                "failures": "\(probeFailures[domain, default: 0])"])
            probeFailures[domain] = 0
            await reportFailure(g, haResource(of: domain)?.resource ?? ResourceID(domain))
        }
    }

    /// Tells the leader once all of a started group's guests have answered a probe (best effort:
    /// it only times the recovery, if this start was one).
    private func firstProbeAnswered(_ g: GroupID, _ domain: String) async {
        guard awaitingFirstProbe[g]?.remove(domain) != nil, awaitingFirstProbe[g]!.isEmpty else { return }
        awaitingFirstProbe[g] = nil
        _ = await tellLeader(.event(.guestsAlive(g, on: node)))
    }

    /// How to probe a domain: its guest agent once that has answered since the start. Before, the
    /// agent is asked (to arm it) and, past the start grace, the probe command decides if there is
    /// one. A guest without an agent channel has the probe command only, past the start grace.
    private func probeMethod(for domain: String, booting: Bool) -> ProbeMethod? {
        let health = configuration.health
        let command = booting || health.probeCommand.isEmpty ? nil : health.probeCommand
        if health.guestAgent, hasGuestAgentChannel(domain) {
            if guestAgentAnswered.contains(domain) { return .agent(armed: true) }
            return command.map { .agentThenCommand($0) } ?? .agent(armed: false)
        }
        return command.map { .command($0) }
    }

    /// Whether the domain has a guest agent channel (as learnt since its start).
    private func hasGuestAgentChannel(_ domain: String) -> Bool { guestAgentChannel[domain] ?? false }

    /// Asks libvirt, off this actor, whether the guests watched here that are not known yet have a
    /// guest agent channel (once per start; a failed question is asked again next round).
    private func learnGuestAgentChannels() async {
        guard configuration.health.guestAgent else { return }
        let unknown = onlineHere.filter { !busy.contains($0) }.flatMap { specs[$0]?.domainNames ?? [] }
            .filter { guestAgentChannel[$0] == nil }
        guard !unknown.isEmpty else { return }
        let found = (try? await blocking { [hypervisor] in unknown.map { ($0, try? hypervisor.hasGuestAgentChannel($0)) } }) ?? []
        for (domain, has) in found { if let has { guestAgentChannel[domain] = has } }
    }

    // MARK: Reconcile: the safety net behind events

    func reconcileLoop() async throws {
        try await reconcile()
        while true {
            try await Task.sleep(for: .seconds(configuration.health.reconcileIntervalSeconds))
            try? await reconcile()
        }
    }

    /// Compares the domains on this host with what the coordinator believes: adopts HA domains it
    /// places here, reports those running here that it places elsewhere or nowhere (the coordinator
    /// adopts them or has them stopped: this agent never stops a running guest on its own, since an
    /// unreachable agent's guests are exactly those), says which groups it was believed to hold under
    /// a lost lease no longer run here, and reports HA domains that should run here but do not.
    func reconcile() async throws {
        guard !fenced else { return }
        let believed = try await believedStates()
        let domains = try await blocking { [hypervisor] in try hypervisor.domains() }
        var told: Set<GroupID> = []
        for domain in domains {
            guard let (g, _) = haResource(of: domain.name), !busy.contains(g) else { continue }
            let state = believed[g]
            // A move under way is the moving nodes' business: the source reports how it ended.
            if case .migrating? = state?.status { continue }
            var locked = false
            if case .diskLocked? = state?.status { locked = true }
            let mine = state?.status.nodes == [node] && !locked
            if domain.state.isActive, !onlineHere.contains(g) {
                if mine {
                    logger.notice("adopting HA domain running here", metadata: ["vm.name": "\(domain.name)", "group": "\(g)"])
                    onlineHere.insert(g)
                    await tellLeader(.event(.groupOnline(g, on: node)))
                } else if told.insert(g).inserted {
                    logger.warning("HA domain runs here but the cluster places it elsewhere or nowhere: reporting it", metadata: [
                        "vm.name": "\(domain.name)", "group": "\(g)", "status": "\(state.map { "\($0.status)" } ?? "none")"])
                    await tellLeader(.event(.groupOnline(g, on: node)))
                }
            } else if !domain.state.isActive, state?.status.nodes.contains(node) != true {
                // A stopped HA domain exists only on its owner.
                try? await blocking { [hypervisor] in try hypervisor.undefine(domain.name) }
            }
        }
        let active = Set(domains.filter { $0.state.isActive }.map(\.name))
        // Groups the cluster thinks may still run here, from before a lost lease, that do not.
        for (g, state) in believed where !busy.contains(g) {
            let heldHere: Bool
            switch state.status {
            case .diskLocked(node?, _): heldHere = true
            case .offline, .failed: heldHere = state.lastHost == node
            default: heldHere = false
            }
            guard heldHere, let spec = specs[g], !spec.domainNames.contains(where: active.contains) else { continue }
            logger.notice("HA group the cluster may believe here does not run here: saying so", metadata: ["group": "\(g)"])
            await tellLeader(.event(.groupOffline(g, on: node)))
        }
        // Groups the cluster believes online here: watched from now on, whoever started them.
        for (g, state) in believed where state.status == .online(node) && !busy.contains(g) && !onlineHere.contains(g) && !reported.contains(g) {
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

    /// Each group's state in the coordinator's last stored state (empty before any leader wrote one).
    private func believedStates() async throws -> [GroupID: GroupState] {
        try await StoredCoordinator.load(from: store)?.states ?? [:]
    }

    // MARK: Self-fencing

    /// Powers off every HA domain on this host at once, all in parallel and the hardest way the host
    /// offers (QEMU killed outright, as a power cut: no graceful destroy), without the store (it may be
    /// unreachable): the membership calls this before its lease could expire, so the time it takes
    /// is what the self-fence margin must cover. Then undefines them (no longer time-critical).
    func fence(reason: String) async {
        fenced = true
        onlineHere = []
        reported = []
        queued = [:]
        let names = Set(specs.values.flatMap(\.domainNames))
        expect(stops: Array(names))
        let clock = ContinuousClock()
        let started = clock.now
        // First without libvirt, which may be the thing that hangs: every HA domain's QEMU killed at once.
        let killed = await hypervisor.killEmulators(of: names, timeout: .seconds(10))
        let present = ((try? await blocking { [hypervisor] in try hypervisor.domains() }) ?? []).filter { names.contains($0.name) }
        let running = present.filter(\.state.isActive).map(\.name)
        let outcomes = await withTaskGroup(of: (String, String?).self) { group in
            for domain in running {
                group.addTask { [hypervisor] in
                    do {
                        try await BlockingCall.run("vigil-fence") { try hypervisor.powerOffNow(domain) }
                        return (domain, nil)
                    } catch { return (domain, "\(error)") }
                }
            }
            var outcomes: [(String, String?)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let seconds = (clock.now - started).seconds
        for (domain, failure) in outcomes {
            if let failure {
                logger.critical("self-fence: cannot power off HA domain", metadata: ["vm.name": "\(domain)", "error": "\(failure)"])
            } else {
                logger.critical("self-fence: HA domain powered off", metadata: ["vm.name": "\(domain)", "reason": "\(reason)"])
            }
        }
        logger.critical("self-fence: every HA domain powered off", metadata: [
            "domains": "\(running.count)", "emulators.killed": "\(killed)", "seconds": "\(String(format: "%.3f", seconds))"])
        metrics.selfFenced()
        try? await blocking { [hypervisor] in for d in present { try? hypervisor.undefine(d.name) } }
    }

    /// The membership holds a lease again: tasks may run.
    func rejoined() {
        fenced = false
    }
}

/// The membership's self-fence, wired to this node's agent.
struct NodeAgentFence: SelfFence {
    let agent: NodeAgent
    var haGuestCount: Int { agent.haDomainsHere.withLock { $0 } }
    func stopHADomains(reason: String) async {
        // First neither through the agent's actor nor through libvirt, either of which may be held by a
        // hung call: every HA domain's QEMU is killed at once, and returns once they have all exited
        // (the membership times it: the fence margin grows with it). Then the agent powers off and
        // cleans up.
        let names = agent.haDomainNames.withLock { $0 }
        _ = await agent.hypervisor.killEmulators(of: names, timeout: .seconds(10))
        guard agent.hypervisor.killsEmulators else { return await agent.fence(reason: reason) }
        // Every HA guest is stopped now; libvirt's part (and its possible hang) no longer delays the fence.
        Task { [agent] in await agent.fence(reason: reason) }
    }
}

/// One way of asking whether a guest OS is alive (isAlive).
enum ProbeMethod: Sendable, CustomStringConvertible {
    /// The guest agent. Once `armed` (it has answered since the guest started) no answer is a
    /// failure; before that no answer counts for nothing (not installed, or not up yet).
    case agent(armed: Bool)
    /// The guest agent, not yet armed; the probe command decides meanwhile.
    case agentThenCommand([String])
    /// The configured probe command.
    case command([String])

    var description: String {
        switch self {
        case .agent: "guest-agent"
        case .agentThenCommand: "guest-agent-or-command"
        case .command: "command"
        }
    }


    /// Runs the probe. A guest agent that has never answered since the start counts for nothing.
    func run(_ domain: String, health: HealthSettings, hypervisor: any Hypervisor) async -> ProbeOutcome {
        switch self {
        case .agent(let armed):
            return await pingAgent(domain, health, hypervisor) ? .agentAnswered : (armed ? .dead : .notCounted)
        case .agentThenCommand(let command):
            if await pingAgent(domain, health, hypervisor) { return .agentAnswered }
            return await Probe.run(command + [domain], timeout: .seconds(5)) ? .alive : .dead
        case .command(let command):
            return await Probe.run(command + [domain], timeout: .seconds(5)) ? .alive : .dead
        }
    }

    private func pingAgent(_ domain: String, _ health: HealthSettings, _ hypervisor: any Hypervisor) async -> Bool {
        let timeout = Int32(health.guestAgentTimeoutSeconds)
        return (try? await BlockingCall.run("vigil-probe") { try hypervisor.pingGuestAgent(domain, timeoutSeconds: timeout) }) != nil
    }
}

/// What one probe found.
enum ProbeOutcome: Sendable, Equatable {
    /// The guest agent answered: alive, and its agent armed from now on.
    case agentAnswered
    /// The probe command said alive.
    case alive
    case dead
    /// Nothing known: a guest agent that has not answered yet since the guest started.
    case notCounted
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
