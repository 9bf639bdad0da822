/// Watching the HA domains that run here: libvirt events (looksAlive) and in-guest probes (isAlive).
extension NodeInstance {
    // MARK: looksAlive: libvirt lifecycle events

    mutating func started(_ domain: String, migratedIn: Bool, at now: Timestamp) -> [NodeDirective] {
        guard migratedIn, let ha = haResource(of: domain) else { return [] }
        // A live migration brought this group here: watched from now on.
        watches[domain, default: DomainWatch()].startedAt = now
        if !phase(of: ha.group).isBusy { setPhase(ha.group, .watched(failureReported: false)) }
        return []
    }

    mutating func stopped(_ domain: String, detail: String) -> [NodeDirective] {
        guard let ha = haResource(of: domain) else { return [] }
        if expectedStops.remove(domain) != nil { return [] }
        guard phase(of: ha.group).isWatched, !fenced else { return [] }
        return failed(ha.group, ha.vm, .stoppedUnexpectedly(domain: domain, detail: detail),
                      reason: "HA domain \(domain) of \(ha.group) stopped unexpectedly (\(detail))")
    }

    /// An operator's change to a running HA domain's definition is written back to shared storage
    /// (not the start's own define, just after it).
    mutating func redefined(_ domain: String, at now: Timestamp) -> [NodeDirective] {
        guard let ha = haResource(of: domain), phase(of: ha.group).isWatched,
              let started = watches[domain]?.startedAt, now - started > settings.writeBackQuiet else { return [] }
        return [NodeDirective(.writeBack(ha.group, vm: ha.vm, domain: domain),
                           reason: "definition of \(domain) changed while it runs here: written back to shared storage")]
    }

    /// A resource failed here: reported to the leader once. Until the leader's next task for the
    /// group, further signs of the same failure (event, probe, reconcile) are not reported again.
    mutating func failed(_ g: GroupID, _ r: ResourceID, _ sign: NodeDirective.Sign, reason: String) -> [NodeDirective] {
        let alreadyReported = phase(of: g) == .failed || phase(of: g) == .watched(failureReported: true)
        setPhase(g, .failed)
        if alreadyReported { return [] }
        return [NodeDirective(.report(.resourceFailed(g, r, on: node), sign), reason: reason)]
    }

    /// A failure report did not get through: the failure is still unreported, so the next sign of it
    /// (an event, a probe, the periodic reconcile) reports it again.
    mutating func reportLost(_ event: ClusterEvent) {
        switch event {
        case .nodeImpaired, .nodeRestored: host.told = .unknown  // told again after the next check
        default: break
        }
        guard case .resourceFailed(let g, _, _) = event else { return }
        switch phase(of: g) {
        case .failed: setPhase(g, .idle)
        case .watched(failureReported: true): setPhase(g, .watched(failureReported: false))
        default: break
        }
    }

    // MARK: isAlive: in-guest probes

    /// Starts a probe round: first learns which new guests have a guest agent channel.
    mutating func probeDue(at now: Timestamp) -> [NodeDirective] {
        guard probeRound == nil else { return [] }
        // While libvirtd does not answer, neither does a guest agent behind it, and nothing could be done about a failure.
        guard host.hypervisorProblem == nil else { return [nextProbeRound(at: now)] }
        let unknown = watchedDomains().filter { watches[$0]?.guestAgentChannel == nil }
        if settings.guestAgent, !unknown.isEmpty {
            probeRound = []
            return [NodeDirective(.learnGuestAgentChannels(unknown), reason: "guests started here whose guest agent channel is not known yet")]
        }
        return startProbes(at: now)
    }

    mutating func learnt(_ found: [String: Bool], at now: Timestamp) -> [NodeDirective] {
        for (domain, has) in found where haResource(of: domain) != nil { watches[domain, default: DomainWatch()].guestAgentChannel = has }
        guard probeRound == [] else { return [] }
        return startProbes(at: now)
    }

    /// Every watched guest is probed at once (a hung guest must not delay the others).
    private mutating func startProbes(at now: Timestamp) -> [NodeDirective] {
        let due = watchedDomains().compactMap { domain in probeMethod(for: domain, at: now).map { Probe(domain: domain, method: $0) } }
        guard !due.isEmpty, host.hypervisorProblem == nil else {
            probeRound = nil
            return [nextProbeRound(at: now)]
        }
        probeRound = due
        return [NodeDirective(.probe(due), reason: "probe round of \(due.count) guest(s)")]
    }

    private func nextProbeRound(at now: Timestamp) -> NodeDirective {
        NodeDirective(.schedule(.probe, at: now + settings.probeInterval), reason: "next probe round")
    }

    /// Consecutive failures past the threshold are reported as a failure.
    mutating func probed(_ results: [Probe: ProbeOutcome], at now: Timestamp) -> [NodeDirective] {
        guard probeRound != nil else { return [] }
        probeRound = nil
        // A round that ran while libvirtd stopped answering says nothing about the guests.
        guard host.hypervisorProblem == nil else { return [nextProbeRound(at: now)] }
        var actions: [NodeDirective] = []
        for (probe, outcome) in results.sorted(by: { $0.key.domain < $1.key.domain }) {
            let domain = probe.domain
            guard let ha = haResource(of: domain) else { continue }
            var watch = watches[domain] ?? DomainWatch()
            if outcome == .agentAnswered { watch.guestAgentAnswered = true }
            if outcome == .agentAnswered || outcome == .alive { actions += firstAnswer(ha.group, domain) }
            if outcome != .notCounted { watch.probeFailures = outcome == .dead ? watch.probeFailures + 1 : 0 }
            let failures = watch.probeFailures
            let failing = outcome != .notCounted && failures >= settings.probeFailures && phase(of: ha.group).isWatched
            if failing { watch.probeFailures = 0 }
            watches[domain] = watch
            guard failing else { continue }
            actions += failed(ha.group, ha.vm, .probeFailed(domain: domain, method: probe.method, failures: failures),
                              reason: "HA guest \(domain) of \(ha.group) failed \(failures) \(probe.method) probe(s) in a row")
        }
        return actions + [nextProbeRound(at: now)]
    }

    /// Once every guest of a group started here has answered a probe, the leader is told (best
    /// effort: it only times the recovery, if this start was one).
    private mutating func firstAnswer(_ g: GroupID, _ domain: String) -> [NodeDirective] {
        guard awaitingFirstProbe[g]?.remove(domain) != nil, awaitingFirstProbe[g]!.isEmpty else { return [] }
        awaitingFirstProbe[g] = nil
        return [NodeDirective(.report(.guestsAlive(g, on: node), .guestsAlive), reason: "every guest of \(g) answered its first probe since its start")]
    }

    /// The domains of the groups watched here.
    private func watchedDomains() -> [String] {
        phases.filter { $0.value.isWatched }.keys.sorted().flatMap { domains(of: $0) }
    }

    /// How to probe a domain: its guest agent once that has answered since the start. Before, the
    /// agent is asked (to arm it) and, past the start grace, the probe command decides if there is
    /// one. A guest without an agent channel has the probe command only, past the start grace.
    func probeMethod(for domain: String, at now: Timestamp) -> ProbeMethod? {
        let watch = watches[domain] ?? DomainWatch()
        let booting = watch.startedAt.map { now - $0 < settings.probeStartGrace } ?? false
        let command = booting || settings.probeCommand.isEmpty ? nil : settings.probeCommand
        if settings.guestAgent, watch.guestAgentChannel == true {
            if watch.guestAgentAnswered { return .agent(armed: true) }
            return command.map { .agentThenCommand($0) } ?? .agent(armed: false)
        }
        return command.map { .command($0) }
    }
}
