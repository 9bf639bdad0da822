import DomainXML
import HACoordination
import HACore
import Libvirt
import Logging
import Synchronization

/// The host side of the agent (the local resource manager): performs the tasks the leader gives this
/// node, watches its HA domains (libvirt events, in-guest probes, a periodic reconcile) and reports
/// to the leader. Holds no policy: restart counting and failover are the coordinator's.
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
    /// Group definitions as the store has them.
    var specs: [GroupID: GroupSpec] = [:] {
        didSet { haDomainNames.withLock { $0 = Set(specs.values.flatMap(\.domainNames)) } }
    }
    /// The HA domains' names, readable without this actor: the self-fence must not wait for it (a
    /// libvirt call hung on it would hold it).
    nonisolated let haDomainNames = Mutex<Set<String>>([])
    /// Groups whose VMs this agent started, adopted or received, and has not stopped since.
    var onlineHere: Set<GroupID> = [] {
        didSet { haDomainsHere.withLock { $0 = onlineHere.reduce(0) { $0 + (specs[$1]?.domainNames.count ?? 1) } } }
    }
    /// How many HA domains run here (those of `onlineHere`), readable without this actor (the
    /// membership sizes its fence margin by it).
    nonisolated let haDomainsHere = Mutex(0)
    /// Groups with a task running, and the tasks waiting behind it (one task at a time per group).
    var busy: Set<GroupID> = []
    var queued: [GroupID: [(task: AgentTask, revision: Revision)]] = [:]
    /// Groups reported failed to the leader and not given a task since.
    var reported: Set<GroupID> = []
    /// Domains this agent is stopping or moving: their stop events are not failures.
    var expectedStops: Set<String> = []
    /// Consecutive failed in-guest probes per domain, and when each domain was last started here.
    var probeFailures: [String: Int] = [:]
    var startedAt: [String: ContinuousClock.Instant] = [:]
    /// Per domain since its start here: whether it has a guest agent channel, and whether that
    /// agent has answered (from then on its silence is a failure).
    var guestAgentChannel: [String: Bool] = [:]
    var guestAgentAnswered: Set<String> = []
    /// Per group started here: its domains that have not answered a health probe since the start
    /// (the first answer of all of them is reported to the leader, which times recoveries by it).
    var awaitingFirstProbe: [GroupID: Set<String>] = [:]
    /// True from a self-fence until the membership holds a lease again: no task runs meanwhile.
    var fenced = false
    /// The armed host watchdog's timeout, published in this host's agent record (the leader's proof of
    /// death when the lease is lost); nil without one, and from a graceful stop on.
    var watchdogResetSeconds: Double?
    /// This host's record as last published.
    var published: AgentRecord?

    public init(node: NodeID, store: any CoordinationStore, hypervisor: any Hypervisor, configuration: AgentConfiguration,
                metrics: AgentMetrics, logger: Logger) {
        self.node = node
        self.store = store
        self.hypervisor = hypervisor
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.sharedStorage = SharedStorage(root: configuration.sharedStorage)
    }

    /// Runs until cancelled: publishes how to reach this host, then watches group definitions, this
    /// node's tasks and its domains' events, probes guests and reconciles periodically.
    public func run(watchdogResetSeconds: Double? = nil, heartbeatAddress: String? = nil) async throws {
        self.watchdogResetSeconds = watchdogResetSeconds
        let record = AgentRecord(node: node, migrationURI: configuration.migrationURI ?? configuration.libvirtURI,
                                 profile: hostProfile(), watchdogResetSeconds: watchdogResetSeconds,
                                 heartbeatAddress: heartbeatAddress)
        _ = try await store.put(ClusterKeys.agent(node), try StoreCoding.encode(record))
        published = record
        let events = try hypervisor.events()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.watchGroups() }
            group.addTask { try await self.watchTasks() }
            group.addTask { await self.consume(events) }
            group.addTask { try await self.reconcileLoop() }
            group.addTask { try await self.probeLoop() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// This host's profile for the HA wizard: its libvirt capabilities and a fresh marker in shared
    /// storage. Nil (and an error in the log) when either cannot be had: no VM can then be checked
    /// against this host, so none names it as a possible owner until that is fixed.
    private func hostProfile() -> HostProfile? {
        do {
            let capabilities = try HostCapabilities(xml: try hypervisor.capabilities())
            let token = try StorageMarker.write(for: node, in: sharedStorage)
            return HostProfile(capabilities: capabilities, sharedStorage: sharedStorage.root, storageToken: token)
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
        return fresh.restartOnlyChanges(from: configuration)
    }

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

    // MARK: Group definitions

    private func watchGroups() async throws {
        try await followPrefix(ClusterKeys.groups) { kvs in
            self.specs = [:]
            for kv in kvs { self.apply(groupKey: kv.key, value: kv.value) }
        } onPut: { kv in
            self.apply(groupKey: kv.key, value: kv.value)
        } onDelete: { key in
            self.specs.removeValue(forKey: GroupID(String(key.dropFirst(ClusterKeys.groups.count))))
        }
    }

    private func apply(groupKey key: String, value: [UInt8]) {
        do {
            let spec = try StoreCoding.decode(GroupSpec.self, value, key: key)
            specs[spec.definition.id] = spec
        } catch {
            logger.error("ignoring unreadable group definition", metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }

    /// Lists `prefix`, then follows its changes from the next revision (the store's watch resumes
    /// after reconnects and resyncs after compaction).
    func followPrefix(_ prefix: String,
                      onSnapshot: @escaping ([KeyValue]) async -> Void,
                      onPut: @escaping (KeyValue) async -> Void,
                      onDelete: @escaping (String) async -> Void) async throws {
        let (kvs, revision) = try await store.list(prefix: prefix)
        await onSnapshot(kvs)
        for try await event in store.watch(prefix: prefix, fromRevision: revision + 1) {
            switch event {
            case .put(let kv): await onPut(kv)
            case .delete(let key, _): await onDelete(key)
            case .resync(let kvs, _): await onSnapshot(kvs)
            }
        }
    }

    /// Brings `spec`'s resources online and offline on this host, with its storage bindings.
    func runner(for spec: GroupSpec) -> GroupRunner {
        GroupRunner(hypervisor: hypervisor, storage: sharedStorage, storageBindings: spec.storageBindings)
    }

    /// The VM resource of a group that runs `domain`, if it is an HA domain.
    func haResource(of domain: String) -> (group: GroupID, resource: ResourceID)? {
        for (id, spec) in specs {
            for vm in spec.definition.vms {
                if case .virtualMachine(domain, _, _, _) = vm.kind { return (id, vm.id) }
            }
        }
        return nil
    }
}
