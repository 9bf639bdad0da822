/// The pure instance of one host's agent (the local resource manager): it takes what the shell
/// observed (tasks from the leader, libvirt events, probe results, what runs here, the lease) and
/// says what to do (perform a task's step, report to the leader, undefine, probe, self-fence,
/// schedule a timer), each with a reason. Value type, no IO; time comes with every event.
///
/// It holds no cluster policy: restart counting, failover and placement are the coordinator's.
/// It runs one task at a time per group, in order; tells expected stops from failures; counts
/// failed probes; reports each failure once; and fences itself when the lease is lost.
public struct NodeInstance: Sendable {
    public let node: NodeID
    public internal(set) var settings: NodeSettings
    /// Group definitions as the store has them.
    public internal(set) var definitions: [GroupID: GroupDefinition] = [:]
    /// Each HA domain's group and VM resource, and each group's domains.
    var haDomains: [String: HADomain] = [:]
    var groupDomains: [GroupID: [String]] = [:]
    /// Groups that are not idle here.
    public internal(set) var phases: [GroupID: GroupPhase] = [:]
    /// Tasks waiting behind the one running for their group, in arrival order.
    var queued: [GroupID: [Arrival]] = [:]
    /// The leader's requests to abort a group's live migration, kept until its migration ends.
    var abortRequests: [GroupID: AbortRequest] = [:]
    /// Domains this node is stopping or moving: their stop events are not failures.
    var expectedStops: Set<String> = []
    /// What is known of each domain since its start here.
    var watches: [String: DomainWatch] = [:]
    /// From a self-fence until the membership holds a lease again: no task starts, nothing is watched
    /// or reported.
    public internal(set) var fenced = false
    /// A probe round is under way (rounds never overlap; the next is scheduled when one ends).
    var probeRound: [Probe]?
    /// Taken while a reconcile is under way (the next is scheduled when it ends).
    var reconciling = false
    /// Whether this host's libvirtd answers and its shared storage works.
    public internal(set) var host = HostHealth()

    struct HADomain: Hashable, Sendable {
        let group: GroupID
        let vm: ResourceID
    }

    struct AbortRequest: Hashable, Sendable {
        let reason: String
        let revision: Int64
        /// The task it stops (nil: the next live migration of its group to start here).
        let task: String?
    }

    struct Arrival: Hashable, Sendable {
        let task: AgentTask
        let revision: Int64
    }

    /// Since a domain's start here: when it started, failed probes in a row, whether it has a guest
    /// agent channel (nil: not known yet) and whether that agent has answered (then its silence counts).
    struct DomainWatch: Hashable, Sendable {
        var startedAt: Timestamp?
        var probeFailures = 0
        var guestAgentChannel: Bool?
        var guestAgentAnswered = false
        /// Since when QEMU holds it paused on a disk I/O error (nil: it is not).
        var pausedByIOErrorSince: Timestamp?
    }

    /// Per group started here: its domains that have not answered a health probe since the start
    /// (once all of them have, the leader is told: it times recoveries by it).
    var awaitingFirstProbe: [GroupID: Set<String>] = [:]

    public init(node: NodeID, settings: NodeSettings = NodeSettings()) {
        self.node = node
        self.settings = settings
    }

    /// The group's phase here.
    public func phase(of g: GroupID) -> GroupPhase { phases[g] ?? .idle }

    /// Every HA domain's name (what a self-fence stops).
    public var domainNames: Set<String> { Set(haDomains.keys) }

    /// How many HA domains may run here now (those of groups not idle or failed here): what a
    /// self-fence would stop, which sizes its margin.
    public var domainsHeldHere: Int {
        phases.filter { $0.value != .failed }.keys.reduce(0) { $0 + domains(of: $1).count }
    }

    /// Handles one event at `now` and returns what the shell should do, in order.
    public mutating func handle(_ event: NodeEvent, at now: Timestamp) -> [NodeDirective] {
        switch event {
        case .started:
            return [NodeDirective(.schedule(.reconcile, at: now), reason: "first reconcile at start"),
                    NodeDirective(.schedule(.probe, at: now + settings.probeInterval), reason: "first probe round"),
                    NodeDirective(.schedule(.hostCheck, at: now), reason: "first check of libvirtd and shared storage")]
        case .definitions(let defs): define(defs); return []
        case .taskArrived(let task, let revision): return arrived(task, revision: revision)
        case .taskWithdrawn(let g): queued[g] = nil; return []
        case .tasksResynced(let tasks): return resynced(tasks)
        case .taskFinished(let report): return abortConsumed(by: report) + finished(report, at: now)
        case .moveAbortRequested(let g, let reason, let revision): return abortRequested(g, reason: reason, revision: revision)
        case .moveAbortWithdrawn(let g): return abortWithdrawn(g)
        case .stopsExpected(let domains): expectedStops.formUnion(domains); return []
        case .taskReportDelivered(let id): return delivered(id)
        case .taskReportLost: return []  // sent again at the next reconcile
        case .reportLost(let event): reportLost(event); return []
        case .domainStarted(let domain, let migratedIn): return started(domain, migratedIn: migratedIn, at: now)
        case .domainStopped(let domain, let detail): return stopped(domain, detail: detail)
        case .domainSuspended(let domain, let ioError): return suspended(domain, ioError: ioError, at: now)
        case .domainResumed(let domain): return resumed(domain)
        case .domainRedefined(let domain): return redefined(domain, at: now)
        case .guestAgentChannels(let found): return learnt(found, at: now)
        case .probed(let results): return probed(results, at: now)
        case .inventory(let inventory): return reconciled(inventory, at: now)
        case .leaseLost(let reason): return fence(reason: reason)
        case .leaseHeld: return rejoined()
        case .timerFired(.probe): return probeDue(at: now)
        case .timerFired(.reconcile): return abortsWithoutMigration("none came by the reconcile") + reconcileDue(at: now)
        case .timerFired(.pausedGuests): return pausedGuestsDue(at: now)
        case .timerFired(.hostCheck): return hostCheckDue()
        case .hostChecked(let check): return hostChecked(check, at: now)
        case .hypervisorLink(let link): return linkChanged(link, at: now)
        case .settingsChanged(let s): settings = s; return []
        }
    }

    private mutating func define(_ defs: [GroupDefinition]) {
        definitions = Dictionary(defs.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        haDomains = [:]
        groupDomains = [:]
        for def in defs {
            for vm in def.vms {
                guard case .virtualMachine(let d, _, _, _) = vm.kind else { continue }
                haDomains[d] = HADomain(group: def.id, vm: vm.id)
                groupDomains[def.id, default: []].append(d)
            }
        }
        // A removed group is forgotten here unless a task for it is still under way.
        for (g, phase) in phases where definitions[g] == nil && !phase.isBusy { phases[g] = nil }
        watches = watches.filter { haDomains[$0.key] != nil }
    }

    /// The domain names of a group's VMs.
    func domains(of g: GroupID) -> [String] { groupDomains[g] ?? [] }

    /// The HA domain's group and VM resource, if it is one.
    func haResource(of domain: String) -> HADomain? { haDomains[domain] }

    mutating func setPhase(_ g: GroupID, _ phase: GroupPhase) {
        phases[g] = phase == .idle ? nil : phase
    }

    /// A domain (re)started here: its probe history starts afresh.
    mutating func markStarted(_ domain: String, at now: Timestamp) {
        watches[domain] = DomainWatch(startedAt: now)
    }

    // MARK: Self-fencing

    private mutating func fence(reason: String) -> [NodeDirective] {
        fenced = true
        queued = [:]
        // Only tasks under way stay (to end); reports not delivered yet are dropped: the leader takes
        // this node for lost and would get them stale.
        for (g, phase) in phases { if case .performing = phase { continue }; phases[g] = nil }
        let names = domainNames
        expectedStops.formUnion(names)
        return [NodeDirective(.selfFence(names.sorted()), reason: "self-fence: \(reason)")]
    }

    private mutating func rejoined() -> [NodeDirective] {
        guard fenced else { return [] }
        fenced = false
        return queued.keys.sorted().flatMap { startNext($0) }
    }
}
