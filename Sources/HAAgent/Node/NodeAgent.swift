import Blocking
import ClusterSchema
import DomainXML
import HACoordination
import HACore
import Libvirt
import Logging
import Synchronization

/// The host side of the agent: the shell of this host's `NodeInstance`. It feeds the instance
/// what it observes (group definitions and this node's tasks from the store, libvirt events, probe
/// results, what runs here, the lease) and performs its directives: task steps on this host,
/// reports to the leader, probes, self-fencing, timers. Holds no policy. Every blocking call
/// (libvirt, files, child processes) runs on a thread of its own (`BlockingCall`), so this actor
/// and the cooperative pool stay free however long libvirtd takes.
public actor NodeAgent {
    public let node: NodeID
    let store: any CoordinationStore
    let hypervisor: any Hypervisor
    /// The shared storage every host mounts at the same path.
    let sharedStorage: SharedStorage
    /// The running configuration; health and migration settings change on reload.
    private(set) var configuration: AgentConfiguration
    let logger: Logger
    let metrics: AgentMetrics
    /// The decisions.
    private(set) var instance: NodeInstance
    /// Group definitions as the store has them, with this host's storage bindings.
    var specs: [GroupID: GroupSpec] = [:] {
        didSet {
            _ = instance.handle(.definitions(specs.values.map(\.definition)), at: now())
            haDomainNames.withLock { $0 = instance.domainNames }
        }
    }
    /// Whether the group definitions were read once: tasks are followed only from then on, so that a
    /// task never meets a group this agent has not read yet (it would fail as undefined).
    private var groupsRead = false
    /// The HA domains' names, readable without this actor: the self-fence must not wait for it.
    nonisolated let haDomainNames = Mutex<Set<String>>([])
    /// The leader's requests to abort a group's live migration here, by group, with their reason:
    /// read by the migration's supervising loop (off this actor) at every sample.
    nonisolated let abortRequests = Mutex<[GroupID: String]>([:])
    /// How many HA domains run here, readable without this actor (the membership sizes its fence margin by it).
    nonisolated let haDomainsHere = Mutex(0)
    /// How long after its lease's expiry this host is certainly reset by its armed watchdog, published
    /// in its agent record (the leader's proof of death when the lease is lost); nil without one, and
    /// from a graceful stop on.
    var watchdogResetSeconds: Double?
    /// This host's record as last published.
    var published: AgentRecord?
    /// The instance's pending timers.
    private var timers: [NodeTimer: Task<Void, Never>] = [:]
    /// From the end of `run()` on, nothing is fed or performed any more.
    private var stopped = false
    /// The instance's clock: monotonic, from this agent's creation.
    private let origin = ContinuousClock.now
    /// The bounded checks of this host's libvirtd and shared storage (a hung one costs one thread).
    let hypervisorCheck: BoundedCall
    let storageCheck: BoundedCall

    public init(node: NodeID, store: any CoordinationStore, hypervisor: any Hypervisor, configuration: AgentConfiguration,
                metrics: AgentMetrics, logger: Logger) {
        self.node = node
        self.store = store
        self.hypervisor = hypervisor
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.sharedStorage = SharedStorage(root: configuration.sharedStorage)
        let settings = configuration.health.nodeSettings
        self.instance = NodeInstance(node: node, settings: settings)
        self.hypervisorCheck = BoundedCall(name: "vigil-libvirt-check", timeout: .milliseconds(settings.hypervisorCheckTimeout.milliseconds))
        self.storageCheck = BoundedCall(name: "vigil-storage-check", timeout: .milliseconds(settings.storageCheckTimeout.milliseconds))
    }

    /// Runs until cancelled: publishes how to reach this host, then watches group definitions, this
    /// node's tasks and its domains' events; the instance's timers probe guests and reconcile.
    public func run(watchdogResetSeconds: Double? = nil, heartbeatAddress: String? = nil) async throws {
        self.watchdogResetSeconds = watchdogResetSeconds
        let profile = await blocking { [self] in hostProfile() }
        let record = AgentRecord(node: node, migrationURI: configuration.migrationURI ?? configuration.libvirtURI,
                                 profile: profile, watchdogResetSeconds: watchdogResetSeconds,
                                 heartbeatAddress: heartbeatAddress)
        _ = try await store.put(ClusterKeys.agent(node), try StoreCoding.encode(record))
        published = record
        await endInterruptedMoves()
        let events = try await BlockingCall.run("vigil-libvirt") { [hypervisor] in try hypervisor.events() }
        defer { stop() }
        await feed(.started)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.watchGroups() }
            group.addTask { try await self.watchTasks() }
            group.addTask { try await self.watchAborts() }
            group.addTask { await self.consume(events) }
            group.addTask { try await self.follow(self.hypervisor.linkChanges()) }
            try await group.next()
            group.cancelAll()
        }
    }

    private func stop() {
        stopped = true
        for timer in timers.values { timer.cancel() }
        timers = [:]
    }

    /// This host's profile for the HA wizard: its libvirt capabilities and a fresh marker in shared
    /// storage. Nil (and an error in the log) when either cannot be had: no VM can then be checked
    /// against this host, so none names it as a possible owner until that is fixed. Blocks.
    private nonisolated func hostProfile() -> HostProfile? {
        do {
            let capabilities = try HostCapabilities(xml: try hypervisor.capabilities())
            let token = try StorageMarker.write(for: node, in: sharedStorage)
            return HostProfile(capabilities: capabilities, sharedStorage: sharedStorage.root, storageToken: token,
                               inventory: HostInventoryScan.scan(hypervisor, capabilities: capabilities))
        } catch {
            logger.error("cannot publish this host's profile; VMs cannot be validated against it", metadata: [
                "error": "\(error)", "shared_storage": "\(sharedStorage.root)"])
            return nil
        }
    }

    /// Before a graceful stop disarms the watchdog: the record no longer promises one, so a lapsing
    /// lease is not taken for a reset host while its guests run on.
    public func withdrawWatchdog() async {
        guard var record = published, record.watchdogResetSeconds != nil else { return }
        record.watchdogResetSeconds = nil
        do {
            _ = try await store.put(ClusterKeys.agent(node), try StoreCoding.encode(record))
            published = record
        } catch {
            logger.error("cannot withdraw the watchdog from this host's record", metadata: ["error": "\(error)"])
        }
    }

    /// Applies a reloaded configuration's health and migration settings; returns the changed
    /// settings that need a restart.
    func reload(_ fresh: AgentConfiguration) -> [String] {
        configuration.health = fresh.health
        configuration.migration = fresh.migration
        configuration.logLevel = fresh.logLevel
        _ = instance.handle(.settingsChanged(fresh.health.nodeSettings), at: now())
        return fresh.restartOnlyChanges(from: configuration)
    }

    /// The membership holds a lease again: tasks may run.
    func rejoined() async {
        await feed(.leaseHeld)
    }

    // MARK: The instance

    /// The instance's time: milliseconds since this agent was created.
    func now() -> Timestamp {
        let elapsed = ContinuousClock.now - origin
        return Timestamp(milliseconds: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Feeds one event to the instance and performs its directives in order.
    func feed(_ event: NodeEvent) async {
        guard !stopped else { return }
        let directives = instance.handle(event, at: now())
        haDomainsHere.withLock { $0 = instance.domainsHeldHere }
        for directive in directives { await perform(directive) }
    }

    /// Performs one directive. Long work (a task's step, probes, a reconcile's inventory) runs in a
    /// task of its own and feeds its outcome back; reports are sent in order.
    private func perform(_ directive: NodeDirective) async {
        guard !stopped else { return }
        switch directive.kind {
        case .perform(let task):
            Task { let report = await self.run(task); await self.feed(.taskFinished(report)) }
        case .reportTask(let report, let revision):
            await feed(await deliver(report, revision: revision) ? .taskReportDelivered(taskID: report.task.id)
                                                                 : .taskReportLost(taskID: report.task.id))
        case .report(let event, let sign):
            log(sign, event, reason: directive.reason)
            if await tellLeader(.event(event)) {
                if case .resourceFailed = event { metrics.resourceFailure() }
            } else {
                await feed(.reportLost(event))
            }
        case .abortMigration(let g, let reason):
            logger.notice("aborting a live migration on request", metadata: ["group": "\(g)", "reason": "\(reason)"])
            abortRequests.withLock { $0[g] = reason }
        case .consumeAbort(let g, let revision):
            abortRequests.withLock { $0[g] = nil }
            Task { await consumeAbort(g, revision: revision) }
        case .undefine(let domains):
            Task { try? await blocking { [hypervisor] in for d in domains { try hypervisor.undefine(d) } } }
        case .writeBack(let g, let vm, let domain):
            if let spec = specs[g], let path = spec.configurationPath(of: vm) { Task { await writeBack(domain, to: path) } }
        case .resume(let domains):
            Task {
                for domain in domains {
                    do { try await blocking { [hypervisor] in try hypervisor.resume(domain) } } catch {
                        logger.warning("cannot resume HA guest paused on an I/O error", metadata: ["vm.name": "\(domain)", "error": "\(error)"])
                    }
                }
            }
        case .learnGuestAgentChannels(let domains):
            Task { await self.feed(.guestAgentChannels(await self.guestAgentChannels(of: domains))) }
        case .probe(let probes):
            Task { await self.feed(.probed(await self.run(probes))) }
        case .takeInventory:
            Task { await self.feed(.inventory(await self.inventory())) }
        case .checkHost:
            Task { await self.feed(.hostChecked(await self.checkHost())) }
        case .selfFence(let domains):
            await selfFence(domains, reason: directive.reason)
        case .schedule(let timer, let at):
            timers[timer]?.cancel()
            let delay = max(0, at.milliseconds - now().milliseconds)
            timers[timer] = Task {
                try? await Task.sleep(for: .milliseconds(delay))
                if !Task.isCancelled { await self.feed(.timerFired(timer)) }
            }
        }
    }

    // MARK: The store

    /// Sends an event or a task report to the leader's inbox; returns whether the store took it.
    @discardableResult
    func tellLeader(_ body: InboxMessage.Body) async -> Bool {
        let message = InboxMessage(sender: node.rawValue, body: body)
        do {
            _ = try await store.put(ClusterKeys.inbox(message.id), try StoreCoding.encode(message))
            return true
        } catch {
            logger.error("cannot reach the leader's inbox", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Reports a task and removes it, unless the leader replaced it meanwhile; whether the report got through.
    private func deliver(_ report: TaskReport, revision: Int64) async -> Bool {
        let task = report.task
        let key = ClusterKeys.task(node, task.group)
        guard await tellLeader(.taskDone(report)) else {
            logger.error("cannot report task; sent again at the next reconcile", metadata: ["task": "\(task.id)", "group": "\(task.group)"])
            return false
        }
        do {
            _ = try await store.transaction(Transaction(compare: [.modRevision(key, equals: revision)], success: [.delete(key)]))
        } catch {
            logger.warning("cannot remove a reported task", metadata: ["task": "\(task.id)", "group": "\(task.group)", "error": "\(error)"])
        }
        return true
    }

    private func watchGroups() async throws {
        try await store.follow(ClusterKeys.groups) { change in
            switch change {
            case .resynced(let listing):
                for error in listing.unreadable { self.ignoreUnreadable(error, "group definition") }
                self.specs = listing.specs
                self.groupsRead = true
            case .put(let spec): self.specs[spec.value.definition.id] = spec.value
            case .deleted(let name): self.specs.removeValue(forKey: GroupID(name))
            case .unreadable(let error): self.ignoreUnreadable(error, "group definition")
            }
        }
    }

    /// Follows `tasks/<this node>/` once the group definitions were read: each task runs once, one at
    /// a time per group, in order.
    private func watchTasks() async throws {
        while !groupsRead { try await Task.sleep(for: .milliseconds(20)) }
        try await store.follow(ClusterKeys.tasks(of: node)) { change in
            switch change {
            case .resynced(let listing):
                for error in listing.unreadable { self.ignoreUnreadable(error, "task") }
                await self.feed(.tasksResynced(Dictionary(listing.records.map { ($0.value, $0.modRevision) }, uniquingKeysWith: { a, _ in a })))
            case .put(let task): await self.feed(.taskArrived(task.value, revision: task.modRevision))
            case .deleted(let name): await self.feed(.taskWithdrawn(GroupID(name)))
            case .unreadable(let error): self.ignoreUnreadable(error, "task")
            }
        }
    }

    /// Follows `aborts/`: the leader's requests to abort a live migration performed by this node.
    private func watchAborts() async throws {
        try await store.follow(ClusterKeys.aborts) { change in
            switch change {
            case .resynced(let listing):
                for error in listing.unreadable { self.ignoreUnreadable(error, "move abort") }
                for abort in listing.records where abort.value.node == self.node {
                    await self.feed(.moveAbortRequested(abort.value.group, reason: abort.value.reason, revision: abort.modRevision))
                }
            case .put(let abort) where abort.value.node == self.node:
                await self.feed(.moveAbortRequested(abort.value.group, reason: abort.value.reason, revision: abort.modRevision))
            case .put: break
            case .deleted(let name): await self.feed(.moveAbortWithdrawn(GroupID(name)))
            case .unreadable(let error): self.ignoreUnreadable(error, "move abort")
            }
        }
    }

    /// Deletes a consumed abort request, unless the leader wrote a newer one meanwhile.
    private func consumeAbort(_ g: GroupID, revision: Int64) async {
        let key = ClusterKeys.moveAbort(g)
        do {
            _ = try await store.transaction(Transaction(compare: [.modRevision(key, equals: revision)], success: [.delete(key)]))
        } catch {
            logger.warning("cannot delete a consumed move abort request", metadata: ["group": "\(g)", "error": "\(error)"])
        }
    }

    private func ignoreUnreadable(_ error: StoredValueError, _ what: String) {
        logger.error("ignoring an unreadable stored record", metadata: ["key": "\(error.key)", "record": "\(what)", "error": "\(error.problem)"])
    }

    /// Brings `spec`'s resources online and offline on this host, with its storage bindings.
    func runner(for spec: GroupSpec) -> GroupRunner {
        GroupRunner(hypervisor: hypervisor, storage: sharedStorage, storageBindings: spec.storageBindings)
    }

    /// Runs blocking work on a thread of its own (see `BlockingCall`): off this actor, so events
    /// and other groups' tasks go on, and off the cooperative pool, so lease renewals do too.
    @discardableResult
    nonisolated func blocking<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        try await BlockingCall.run("vigil-libvirt", work)
    }
}

extension HealthSettings {
    /// What the node instance decides by.
    var nodeSettings: NodeSettings {
        var s = NodeSettings()
        s.reconcileInterval = .milliseconds(Int64(reconcileIntervalSeconds * 1000))
        s.probeInterval = .milliseconds(Int64(probeIntervalSeconds * 1000))
        s.probeFailures = probeFailures
        s.probeStartGrace = .milliseconds(Int64(probeStartGraceSeconds * 1000))
        s.guestAgent = guestAgent
        s.probeCommand = probeCommand
        s.pausedGrace = .milliseconds(Int64(pausedGraceSeconds * 1000))
        s.hostCheckInterval = .milliseconds(Int64(hostCheckIntervalSeconds * 1000))
        s.hypervisorCheckTimeout = .milliseconds(Int64(libvirtCheckTimeoutSeconds * 1000))
        s.storageCheckTimeout = .milliseconds(Int64(storageCheckTimeoutSeconds * 1000))
        s.storageFailures = storageCheckFailures
        return s
    }
}
