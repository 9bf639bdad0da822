/// Whether this host can host groups, as its node instance knows it: libvirtd answering (its
/// connection up, a cheap call answered in time) and shared storage working (a file written,
/// flushed, read back and removed in time). Either failing makes the host impaired: it tells the
/// leader, which gives it no groups until it reports itself able again.
public struct HostHealth: Hashable, Sendable {
    /// Why the connection to libvirtd is down (daemon gone, keepalive timed out); nil while it is up.
    public internal(set) var linkLost: String?
    /// The last libvirtd check's failure; nil when it passed.
    public internal(set) var hypervisorCheckFailure: String?
    /// Storage checks failed in a row, and the last one's failure.
    public internal(set) var storageFailures = 0
    public internal(set) var storageCheckFailure: String?
    /// A check is under way (checks never overlap; the next is scheduled when one ends).
    var checking = false
    /// What the leader was last told.
    var told: Told = .unknown

    /// What the leader knows of this host's health: which problems it was told of (told again
    /// when that changes, not when a problem's wording does, e.g. how long a check has hung).
    enum Told: Hashable, Sendable {
        /// Nothing yet in this agent's life, or the last report did not reach it.
        case unknown
        case able
        case impaired(hypervisor: Bool, storage: Bool)
    }

    public init() {}

    /// Why libvirtd cannot be used now; nil while it answers.
    public var hypervisorProblem: String? {
        if let linkLost { return "connection to libvirtd lost (\(linkLost))" }
        return hypervisorCheckFailure.map { "libvirtd does not answer (\($0))" }
    }

    /// Why shared storage counts as lost here, once `threshold` checks in a row failed; nil before.
    public func storageProblem(threshold: Int) -> String? {
        guard storageFailures >= max(1, threshold), let storageCheckFailure else { return nil }
        return "shared storage fails (\(storageFailures) checks in a row; last: \(storageCheckFailure))"
    }
}

/// Checking libvirtd and shared storage, and telling the leader when the host cannot host groups.
extension NodeInstance {
    /// What keeps this host from hosting groups now; nil when nothing does.
    public var impairment: String? {
        let problems = [host.hypervisorProblem, host.storageProblem(threshold: settings.storageFailures)].compactMap { $0 }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    mutating func hostCheckDue() -> [NodeDirective] {
        guard !host.checking else { return [] }
        host.checking = true
        return [NodeDirective(.checkHost, reason: "periodic check of libvirtd and shared storage")]
    }

    mutating func hostChecked(_ check: HostCheck, at now: Timestamp) -> [NodeDirective] {
        host.checking = false
        host.hypervisorCheckFailure = check.hypervisor
        host.storageCheckFailure = check.storage
        host.storageFailures = check.storage == nil ? 0 : host.storageFailures + 1
        return healthChanged(at: now)
            + [NodeDirective(.schedule(.hostCheck, at: now + settings.hostCheckInterval), reason: "next check of libvirtd and shared storage")]
    }

    /// A lost connection makes the host impaired at once; once it is back, a reconcile finds what
    /// changed meanwhile (events of the gap are lost: a guest that stopped then is missing now).
    mutating func linkChanged(_ link: HypervisorLink, at now: Timestamp) -> [NodeDirective] {
        switch link {
        case .lost(let reason):
            host.linkLost = reason
            return healthChanged(at: now)
        case .restored:
            host.linkLost = nil
            host.hypervisorCheckFailure = nil
            return healthChanged(at: now) + reconcileDue(at: now)
        }
    }

    /// Tells the leader when what keeps the host from hosting changed, and fails every watched group
    /// over while shared storage is lost here: its guests' disks are there, and a restart here would
    /// meet the same storage. (Guests are not stopped here: the leader takes them offline, then
    /// starts them where storage works; their disk locks keep a second copy from starting meanwhile.)
    private mutating func healthChanged(at now: Timestamp) -> [NodeDirective] {
        var actions: [NodeDirective] = []
        let impairment = impairment
        let storage = host.storageProblem(threshold: settings.storageFailures)
        let told: HostHealth.Told = impairment == nil ? .able : .impaired(hypervisor: host.hypervisorProblem != nil, storage: storage != nil)
        if host.told != told {
            host.told = told
            let event: ClusterEvent = impairment.map { .nodeImpaired(node, reason: $0) } ?? .nodeRestored(node)
            actions.append(NodeDirective(.report(event, .hostHealth(impairment: impairment)),
                                         reason: impairment.map { "this host cannot host groups now: \($0)" } ?? "this host can host groups"))
        }
        guard let storage, !fenced else { return actions }
        for g in phases.keys.sorted() where phase(of: g).isWatched {
            guard let domain = domains(of: g).first, let vm = haResource(of: domain)?.vm else { continue }
            actions += failed(g, vm, .storageLost(domain: domain, problem: storage),
                              reason: "shared storage of \(g) is lost on \(node): \(storage)")
        }
        return actions
    }
}
