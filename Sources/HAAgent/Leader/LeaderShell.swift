import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging

/// The coordinator shell: on the node elected leader, feeds `ClusterCoordinator` with what the store
/// shows (node leases, group definitions, the inbox of node reports and operator requests, timers)
/// and performs its directives by writing node tasks, all in one transaction per event that carries
/// the fencing token, so a deposed leader's late write fails. Holds no policy.
public actor LeaderShell {
    let node: NodeID
    let store: any CoordinationStore
    let election: Election
    let membership: Membership
    let configuration: CoordinatorConfiguration
    let metrics: AgentMetrics
    let logger: Logger
    var coordinator: ClusterCoordinator
    var specs: [GroupID: GroupSpec] = [:]
    /// The coordinator's snapshot as last committed to the store.
    var committed = CoordinatorSnapshot()
    var token: FencingToken?
    var timers: [Task<Void, Never>] = []
    /// The running leadership's input stream (timers feed it too).
    var inputs: AsyncStream<LeaderInput>.Continuation?
    /// Performs `fenceNode` (host alive? fence devices, then the watchdog).
    let fencer: NodeFencer
    /// Nodes being fenced now (one fencing at a time per node).
    var fencing: Set<NodeID> = []
    /// Nodes whose record this agent has seen since it started (leader or not): a member missing when
    /// this agent takes over is known lost if seen before, and gets a start-up grace otherwise.
    var seenAlive: Set<NodeID> = []
    /// This agent's peer heartbeats (nil: off), and the peers it cannot hear now.
    let peers: PeerHeartbeats?
    var suspects: Set<NodeID> = []
    /// Nodes a fence device powered off, until their record comes back (a new incarnation): a second
    /// `fenceNode` for them (a new leader's, after a candidate fenced the old one) is answered at once.
    var poweredOff: [NodeID: String] = [:]
    /// Decision records written by this leader (their keys' sequence), and since the last pruning.
    var decisionsWritten = 0
    var decisionsSincePrune = 0
    let retention = DecisionRetention()

    public init(node: NodeID, store: any CoordinationStore, election: Election, membership: Membership,
                configuration: CoordinatorConfiguration, fencing: FencingSettings = FencingSettings(),
                peers: PeerHeartbeats? = nil, metrics: AgentMetrics, logger: Logger) {
        self.peers = peers
        self.node = node
        self.store = store
        self.election = election
        self.membership = membership
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.coordinator = ClusterCoordinator(configuration: configuration, nodes: [], groups: [])
        self.fencer = NodeFencer(store: store, fencing: fencing, logger: logger)
    }

    /// Campaigns while this node holds a lease; leads when elected, until leadership is lost.
    public func run() async {
        let watcher = Task { await self.watchMembers() }
        let listener = Task { await self.followVerdicts() }
        defer { watcher.cancel(); listener.cancel() }
        while !Task.isCancelled {
            guard let lease = await membership.lease, await !membership.isFenced else {
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            do {
                let token = try await election.campaign(lease: lease)
                try await lead(token)
            } catch is CancellationError {
                break
            } catch {
                logger.warning("leadership ended", metadata: ["node": "\(node)", "error": "\(error)"])
            }
            stopLeading()
            await election.stepDown(reason: "leader loop ended")
            try? await Task.sleep(for: .milliseconds(500))
        }
        stopLeading()
    }

    private func stopLeading() {
        token = nil
        inputs = nil
        metrics.leader(false)
        for t in timers { t.cancel() }
        timers = []
        fencing = []
    }

    /// Loads the stored state, catches up with the store and then follows it.
    func lead(_ token: FencingToken) async throws {
        self.token = token
        metrics.leader(true)
        logger.notice("leading the cluster", metadata: ["node": "\(node)", "fencing.token": "\(token.revision)"])
        let (stream, continuation) = AsyncStream<LeaderInput>.makeStream()
        inputs = continuation
        let watchers = try await loadState(into: continuation)
        defer { watchers.cancel() }
        try await catchUp()
        for await input in stream {
            try Task.checkCancellation()
            guard await election.token == token else { throw LeaderError.deposed }
            try await handle(input)
        }
    }

    /// Reads the snapshot, group definitions, node records and pending inbox; starts the watches.
    private func loadState(into continuation: AsyncStream<LeaderInput>.Continuation) async throws -> Task<Void, Never> {
        let groups = try await store.read(ClusterKeys.groups)
        for error in groups.unreadable { logUnreadable(error) }
        specs = groups.specs
        committed = try await StoredCoordinator.load(from: store) ?? CoordinatorSnapshot()
        coordinator = ClusterCoordinator(configuration: configuration, groups: specs.values.map(\.definition), restoring: committed)
        // The wake-ups the last leader was waiting for are this one's to wait for now.
        for t in committed.wakeups.sorted() { schedule(at: t) }
        let nodes = try await store.read(ClusterKeys.nodes)
        let inbox = try await store.read(ClusterKeys.inbox)
        for error in nodes.unreadable + inbox.unreadable { logUnreadable(error) }
        let records = nodes.values
        for record in records { continuation.yield(.nodeRecord(record)) }
        for id in coordinator.nodes.keys.sorted() where coordinator.nodes[id]!.state != .down && !records.contains(where: { $0.id == id }) {
            // Seen alive by this agent and gone now: lost. Never seen (this agent just started, or all
            // agents restart at once): it may be on its way back, so it gets a start-up grace.
            continuation.yield(seenAlive.contains(id) ? .nodeGone(id) : .nodeUnconfirmed(id))
        }
        for message in inbox.records.sorted(by: { $0.modRevision < $1.modRevision }) {
            continuation.yield(.inbox(key: message.key, message: message.value))
        }
        for n in suspects.sorted() { continuation.yield(.peerVerdict(.suspected(n, lastHeard: .zero))) }
        continuation.yield(.timer)
        let (store, logger) = (self.store, self.logger)
        return Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await Self.follow(store, ClusterKeys.nodes, after: nodes.revision, logger, continuation) { change in
                    switch change {
                    case .put(let record): .nodeRecord(record.value)
                    case .deleted(let name): .nodeGone(NodeID(name))
                    case .resynced: .resync("nodes")
                    case .unreadable: nil
                    }
                } }
                group.addTask { await Self.follow(store, ClusterKeys.groups, after: groups.revision, logger, continuation) { change in
                    switch change {
                    case .put(let spec): .groupDefined(spec.value)
                    case .deleted(let name): .groupRemoved(GroupID(name))
                    case .resynced: .resync("groups")
                    case .unreadable: nil
                    }
                } }
                group.addTask { await Self.follow(store, ClusterKeys.inbox, after: inbox.revision, logger, continuation) { change in
                    switch change {
                    case .put(let message): .inbox(key: message.key, message: message.value)
                    case .deleted, .unreadable: nil
                    case .resynced: .resync("inbox")
                    }
                } }
            }
            continuation.finish()
        }
    }

    private func logUnreadable(_ error: StoredValueError) { Self.logUnreadable(error, logger) }

    private static func logUnreadable(_ error: StoredValueError, _ logger: Logger) {
        logger.error("ignoring an unreadable stored record", metadata: ["key": "\(error.key)", "error": "\(error.problem)"])
    }

    /// Follows one record family and maps its changes to leader inputs; ends the stream on error.
    private static func follow<R>(_ store: any CoordinationStore, _ family: RecordFamily<R>, after revision: Revision, _ logger: Logger,
                                  _ continuation: AsyncStream<LeaderInput>.Continuation,
                                  map: @Sendable (RecordChange<R>) -> LeaderInput?) async {
        do {
            for try await change in store.changes(family, after: revision) {
                if case .unreadable(let error) = change { logUnreadable(error, logger) }
                if let input = map(change) { continuation.yield(input) }
            }
        } catch {}
        continuation.finish()
    }

    /// Follows what the peer heartbeats say, leader or not. The leader feeds it to the coordinator
    /// (suspicion leads to fencing); a candidate that cannot hear the current leader fences it itself,
    /// so that a new leader need not wait for the dead one's lease to expire: a confirmed power-off
    /// revokes that lease, and with it the leader key.
    ///
    /// Timing argument. The leader's host dies at t. Its peers heard its last beat at ≤ t and suspect it
    /// by t + timeout + period/2 (1.05 s by default). The fencer's libvirt probe fails at once when the
    /// host's address refuses connections, or after its 2 s bound on a silent network; the fence device
    /// confirms "off" (0.2 s for the lab's, 1–5 s for a BMC). Revoking the dead leader's lease deletes
    /// the leader key; the waiting campaign sees the delete and takes the key (two store round trips).
    /// The new leader then needs no grace for the dead node (it saw it alive) and finds it already
    /// powered off. So the takeover costs about timeout + probe + fence + a few round trips, whatever
    /// the lease TTL. Safety does not rest on this timing: the old leader is off, and a deposed leader's
    /// writes fail anyway, since they carry the leader key's create revision as their fencing token.
    private func followVerdicts() async {
        guard let peers else { return }
        for await verdict in peers.verdicts {
            switch verdict {
            case .suspected(let n, _): suspects.insert(n)
            case .recovered(let n): suspects.remove(n)
            }
            if let inputs {
                inputs.yield(.peerVerdict(verdict))
            } else if case .suspected(let n, _) = verdict, let leader = try? await election.leader(), leader.node == n,
                      fencing.insert(n).inserted {
                logger.warning("the leader is silent to this agent: fencing it", metadata: ["leader": "\(n)"])
                let outcome = await fencer.fence(n, leaseLost: false)
                fencing.remove(n)
                if case .poweredOff(let proof) = outcome { poweredOff[n] = proof }
                // Leading by now (its own fence revoked the old leader's lease, or another's did): this
                // leadership skipped fencing the node while this one ran, so it gets the outcome.
                if let inputs { inputs.yield(.fenced(n, outcome, leaseLost: false)) }
                logger.notice("fencing of the silent leader ended", metadata: ["leader": "\(n)", "outcome": "\(outcome)"])
            }
        }
    }

    /// Follows node records from this agent's start, leader or not (see `seenAlive`).
    private func watchMembers() async {
        while !Task.isCancelled {
            do {
                try await store.follow(ClusterKeys.nodes) { change in
                    switch change {
                    case .put(let record): noteAlive([record.value.id])
                    case .resynced(let listing): noteAlive(listing.values.map(\.id))
                    case .deleted, .unreadable: break
                    }
                }
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func noteAlive(_ nodes: [NodeID]) {
        for n in nodes {
            seenAlive.insert(n)
            poweredOff[n] = nil
        }
    }

    /// Stores the loaded state under this token before acting on anything new.
    private func catchUp() async throws {
        try await commit([], consuming: nil)
    }
}

/// Why a leader stopped leading.
enum LeaderError: Error, CustomStringConvertible {
    case deposed
    case watchResync(String)
    var description: String {
        switch self {
        case .deposed: "another node holds the leader key now"
        case .watchResync(let what): "the \(what) watch had to resync; reloading the stored state"
        }
    }
}
