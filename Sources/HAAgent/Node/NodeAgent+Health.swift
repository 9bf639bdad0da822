import Blocking
import ClusterSchema
import Foundation
import HACoordination
import HACore
import Libvirt
import Logging

extension NodeAgent {
    // MARK: looksAlive: libvirt lifecycle events

    /// Feeds this host's libvirt events to the instance (unexpected stops become failures within milliseconds).
    func consume(_ events: AsyncStream<DomainEvent>) async {
        for await event in events {
            await handle(event)
        }
    }

    func handle(_ event: DomainEvent) async {
        let updated: Int32 = 1  // VIR_DOMAIN_EVENT_DEFINED_UPDATED
        switch event.kind {
        case .defined where event.detail == updated: await feed(.domainRedefined(event.domainName))
        case .suspended:
            let ioError: Int32 = 2  // VIR_DOMAIN_EVENT_SUSPENDED_IOERROR
            if event.detail == ioError, let g = haGroup(of: event.domainName) {
                logger.warning("HA guest paused on a disk I/O error", metadata: [
                    "vm.name": "\(event.domainName)", "group": "\(g.id)", "paused.behaviour": "\(g.policy.onPausedGuest.rawValue)"])
            }
            await feed(.domainSuspended(event.domainName, ioError: event.detail == ioError))
        case .resumed: await feed(.domainResumed(event.domainName))
        case .started: await feed(.domainStarted(event.domainName, migratedIn: event.startedDetail == .migrated))
        case .stopped, .crashed: await feed(.domainStopped(event.domainName, detail: "\(event.kind) \(event.detail)"))
        default: break
        }
    }

    /// The definition of the HA group that runs `domain`, if one does.
    func haGroup(of domain: String) -> GroupDefinition? {
        specs.values.first { $0.definition.vmResource(runningDomain: domain) != nil }?.definition
    }

    /// Writes an operator's change to a running HA domain's definition back to its XML on shared
    /// storage (atomically), as Hyper-V keeps its configuration resource current.
    func writeBack(_ domain: String, to path: String) async {
        do {
            let xml = try await blocking { [hypervisor, sharedStorage] in
                let xml = try hypervisor.persistentXML(of: domain)
                try VMConfigurationResource(path: path, domainName: domain, storage: sharedStorage).writeBack(xml: xml)
                return xml
            }
            let record = ConfigurationDrift.record(of: xml, at: path, by: "write-back on \(node)")
            _ = try await store.put(ClusterKeys.configuration(of: domain), try StoreCoding.encode(record))
            logger.notice("definition change written back to shared storage", metadata: ["vm.name": "\(domain)", "path": "\(path)"])
        } catch {
            logger.error("cannot write the changed definition back", metadata: ["vm.name": "\(domain)", "error": "\(error)"])
        }
    }

    /// Logs what the node reports to the leader.
    func log(_ sign: NodeDirective.Sign, _ event: ClusterEvent, reason: String) {
        let group: String
        switch event {
        case .resourceFailed(let g, _, _), .groupOnline(let g, _), .groupOffline(let g, _), .guestsAlive(let g, _): group = "\(g)"
        default: group = ""
        }
        switch sign {
        case .stoppedUnexpectedly(let domain, let detail):
            logger.warning("HA domain stopped unexpectedly", metadata: ["vm.name": "\(domain)", "group": "\(group)", "event": "\(detail)"])
        case .probeFailed(let domain, let method, let failures):
            logger.warning("HA guest failed its health probe", metadata: [
                "vm.name": "\(domain)", "group": "\(group)", "probe": "\(method)", "failures": "\(failures)"])
        case .missing(let domain?):
            logger.warning("HA domain missing on its owner", metadata: ["vm.name": "\(domain)", "group": "\(group)"])
        case .missing(nil):
            logger.warning("HA group the cluster places here is not running", metadata: ["group": "\(group)"])
        case .adopted(let domain):
            logger.notice("adopting HA domain running here", metadata: ["vm.name": "\(domain)", "group": "\(group)"])
        case .runsUnplaced(let domain, let status):
            logger.warning("HA domain runs here but the cluster places it elsewhere or nowhere: reporting it", metadata: [
                "vm.name": "\(domain)", "group": "\(group)", "status": "\(status.map { "\($0)" } ?? "none")"])
        case .notHere:
            logger.notice("HA group the cluster may believe here does not run here: saying so", metadata: ["group": "\(group)"])
        case .pausedByIOError(let domain, let pausedFor):
            logger.warning("HA guest paused on a disk I/O error counts as failed", metadata: [
                "vm.name": "\(domain)", "group": "\(group)", "paused.for": "\(pausedFor)"])
        case .guestsAlive:
            logger.info("every guest of a group started here answered its first probe", metadata: ["group": "\(group)"])
        case .hostHealth(let impairment?):
            logger.error("this host cannot host groups now: it takes none until this clears", metadata: ["problem": "\(impairment)"])
        case .hostHealth(nil):
            logger.notice("this host can host groups", metadata: [:])
        case .storageLost(let domain, let problem):
            logger.error("shared storage of an HA guest lost on this host: its group fails over", metadata: [
                "vm.name": "\(domain)", "group": "\(group)", "problem": "\(problem)"])
        }
    }

    // MARK: isAlive: in-guest probes

    /// Asks libvirt, off this actor, which of these guests have a guest agent channel (a failed
    /// question is left out, and asked again next round).
    func guestAgentChannels(of domains: [String]) async -> [String: Bool] {
        await blocking { [hypervisor] in
            var found: [String: Bool] = [:]
            for d in domains { if let has = try? hypervisor.hasGuestAgentChannel(d) { found[d] = has } }
            return found
        }
    }

    /// Runs a round of probes, all at once (a hung guest must not delay the others).
    func run(_ probes: [Probe]) async -> [Probe: ProbeOutcome] {
        let health = configuration.health
        return await withTaskGroup(of: (Probe, ProbeOutcome).self) { group in
            for probe in probes {
                group.addTask { [hypervisor] in (probe, await probe.method.run(probe.domain, health: health, hypervisor: hypervisor)) }
            }
            var results: [Probe: ProbeOutcome] = [:]
            for await (probe, outcome) in group { results[probe] = outcome }
            return results
        }
    }

    // MARK: Reconcile: the safety net behind events

    /// What runs here and the coordinator's last stored view (empty before any leader wrote one);
    /// nil when either cannot be read.
    func inventory() async -> Inventory? {
        do {
            let believed = try await StoredCoordinator.load(from: store)?.states ?? [:]
            let domains = try await blocking { [hypervisor] in try hypervisor.domains() }
            return Inventory(domains: domains.map { DomainSighting(name: $0.name, active: $0.state.isActive, pausedByIOError: $0.pausedByIOError,
                                                                   migrating: $0.migrating) }, believed: believed)
        } catch {
            logger.warning("cannot reconcile now", metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: The host itself: libvirtd and shared storage

    /// Feeds the losses and returns of the libvirtd connection to the instance (the stream of a
    /// hypervisor without a connection to lose never yields: this then waits until cancelled).
    func follow(_ changes: AsyncStream<HypervisorLink>) async throws {
        for await change in changes {
            switch change {
            case .lost(let reason):
                logger.error("connection to libvirtd lost; reconnecting (guests run on)", metadata: ["reason": "\(reason)"])
            case .restored:
                logger.notice("connection to libvirtd back; domain events registered again, reconciling", metadata: [:])
            }
            await feed(.hypervisorLink(change))
        }
        try await Task.sleep(for: .seconds(Int64.max / 2))
    }

    /// Checks libvirtd (a cheap round trip) and shared storage (a file written, flushed, read back,
    /// removed) at once, each bounded by its timeout on a thread of its own.
    func checkHost() async -> HostCheck {
        let marker = published?.profile.map { (path: StorageMarker.path(of: node, in: sharedStorage), token: $0.storageToken) }
        async let libvirt = hypervisorCheck.run { [hypervisor] in try hypervisor.ping() }
        async let storage = storageCheck.run { [sharedStorage, node] in try sharedStorage.check(as: node.rawValue, marker: marker) }
        let (l, s) = await (libvirt, storage)
        return HostCheck(hypervisor: Self.failure(l), storage: Self.failure(s))
    }

    private static func failure(_ result: Result<Void, BoundedCall.Failure>) -> String? {
        if case .failure(let f) = result { return "\(f)" }
        return nil
    }

    // MARK: Self-fencing

    /// The membership is about to lose its lease: the instance fences every HA domain here.
    func fence(reason: String) async {
        await feed(.leaseLost(reason: reason))
    }

    /// Powers off every HA domain on this host at once, all in parallel and the hardest way the host
    /// offers (QEMU killed outright, as a power cut: no graceful destroy), without the store (it may be
    /// unreachable): the membership calls this before its lease could expire, so the time it takes
    /// is what the self-fence margin must cover. Then undefines them (no longer time-critical).
    func selfFence(_ names: [String], reason: String) async {
        let clock = ContinuousClock()
        let started = clock.now
        // First without libvirt, which may be the thing that hangs: every HA domain's QEMU killed at once.
        let killed = await hypervisor.killEmulators(of: names, timeout: .seconds(10))
        let present = await blocking { [hypervisor] in ((try? hypervisor.domains()) ?? []).filter { names.contains($0.name) } }
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
        await blocking { [hypervisor] in for d in present { try? hypervisor.undefine(d.name) } }
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

extension ProbeMethod {
    /// Runs the probe. A guest agent that has never answered since the start counts for nothing.
    func run(_ domain: String, health: HealthSettings, hypervisor: any Hypervisor) async -> ProbeOutcome {
        switch self {
        case .agent(let armed):
            return await pingAgent(domain, health, hypervisor) ? .agentAnswered : (armed ? .dead : .notCounted)
        case .agentThenCommand(let command):
            if await pingAgent(domain, health, hypervisor) { return .agentAnswered }
            return await ProbeCommand.run(command + [domain], timeout: .seconds(5)) ? .alive : .dead
        case .command(let command):
            return await ProbeCommand.run(command + [domain], timeout: .seconds(5)) ? .alive : .dead
        }
    }

    private func pingAgent(_ domain: String, _ health: HealthSettings, _ hypervisor: any Hypervisor) async -> Bool {
        let timeout = Int32(health.guestAgentTimeoutSeconds)
        return (try? await BlockingCall.run("vigil-probe") { try hypervisor.pingGuestAgent(domain, timeoutSeconds: timeout) }) != nil
    }
}

/// Runs an in-guest health probe command; exit status 0 within the timeout means alive.
enum ProbeCommand {
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
