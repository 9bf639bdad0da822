import ClusterSchema
import Foundation
import HACore
import Logging

/// What a node does to fence itself: stop every HA domain it runs. Injected; the agent wires
/// it to libvirt. Must return only once the domains are stopped.
public protocol SelfFence: Sendable {
    func stopHADomains(reason: String) async
    /// How many HA guests a fence would stop now (the fence margin grows with it); readable at any
    /// time without waiting for anything that may hang.
    var haGuestCount: Int { get }
}

extension SelfFence {
    public var haGuestCount: Int { 0 }
}

/// Membership timing. Default TTL 5 s, from measurements (3 etcd members on loopback, 2 cores;
/// `EtcdFaultTests.leaseExpiryIsSeenByOtherNodes` prints them): another member's watcher sees a
/// 5 s lease's keys deleted 5.2–5.4 s after the last keepalive was sent (2 s: 2.2–2.4 s; 3 s:
/// 3.2 s). A host that dies right after a keepalive is therefore declared gone ≤ ~5.4 s
/// later, leaving ≥ 4.6 s of the 10 s recovery budget for the coordinator to react and start its
/// VMs elsewhere (7.2 s if the etcd leader dies at the same moment: still inside 10 s). Shorter
/// TTLs buy little and risk false self-fencing: an etcd leader failover blocks renewals for ~2.1 s,
/// and with TTL 5 s and a 1.5 s fence margin a node tolerates 3.5 s without a confirmed renewal
/// (renewals every 1 s, retried every 250 ms after a failure). The measured detection latency is
/// printed by the tests. Each renewal also rewrites the node record (its heartbeat): one etcd
/// write per node per `keepAliveInterval`.
public struct MembershipConfiguration: Sendable {
    public var ttlSeconds: Int64
    /// Time between renewals while they succeed.
    public var keepAliveInterval: Duration
    /// Time between renewals after one failed.
    public var retryInterval: Duration
    /// The fence fires this long before the earliest moment the store may expire the lease, plus
    /// the time killing the host's HA guests takes (`SelfFenceMargin`: measured at each fence, scaled
    /// to the guests run now): clock-rate slack and the stop's own start-up.
    public var fenceMargin: Duration
    /// How often the fence deadline is checked (the fence fires at most this late).
    public var checkInterval: Duration

    public init(ttlSeconds: Int64 = 5, keepAliveInterval: Duration = .seconds(1),
                retryInterval: Duration = .milliseconds(250), fenceMargin: Duration = .milliseconds(1500),
                checkInterval: Duration = .milliseconds(50)) {
        self.ttlSeconds = ttlSeconds; self.keepAliveInterval = keepAliveInterval
        self.retryInterval = retryInterval; self.fenceMargin = fenceMargin; self.checkInterval = checkInterval
    }
}

/// One self-fence, in seconds since the membership started (monotonic).
public struct FenceEvent: Sendable, Hashable {
    public var reason: String
    /// Send time of the last renewal the store confirmed: the lease lives until at least `+ ttl`.
    public var lastConfirmedSend: Duration
    public var ttl: Duration
    /// When the domains had to be stopped by.
    public var deadline: Duration
    public var firedAt: Duration
    /// When `stopHADomains` returned.
    public var stoppedAt: Duration
    /// The HA guests it stopped, and the margin it was fired with.
    public var guests: Int
    public var margin: Duration
    /// The earliest moment the store could expire the lease.
    public var earliestExpiry: Duration { lastConfirmedSend + ttl }
}

/// The membership shell: holds this node's lease and record in the store, renews it, and
/// self-fences (stops HA domains through `SelfFence`) before the lease could expire when renewals
/// fail. After a fence it keeps trying to rejoin with a new lease. Decisions: `LeaseDeadline`.
public actor Membership {
    private let store: any CoordinationStore
    private var record: NodeRecord
    public let configuration: MembershipConfiguration
    private let selfFence: any SelfFence
    private let logger: Logger
    private let origin = ContinuousClock.now
    private var deadline: LeaseDeadline
    /// The fence margin for the guests run now, from the kills measured so far.
    public private(set) var margin: SelfFenceMargin
    /// The guest count the margin was last set for (a warning is logged once per count that does not fit).
    private var marginGuests = 0
    private var fenceHooks: [@Sendable (String) async -> Void] = []
    private var tasks: [Task<Void, Never>] = []
    /// True while the domains are being stopped: no rejoin before they are.
    private var fencing = false
    /// The lease given up by the last fence: revoked on rejoin, so that the cluster need not
    /// wait for it to expire (this node's domains are stopped by then).
    private var fencedLease: LeaseID?
    /// Set by `stop()`: an in-flight renewal must not rejoin afterwards.
    private var stopped = false
    /// The lease currently held (nil before `start` and after a fence until rejoined).
    public private(set) var lease: LeaseID?
    /// How long the last successful renewal took, from send to confirmation.
    public private(set) var lastRenewLatency: Duration?
    /// Every self-fence so far.
    public private(set) var fences: [FenceEvent] = []
    /// What the log says when this node fences itself (audits of the logs look for it).
    public static let selfFenceLogMessage = "self-fencing: stopping HA domains before the cluster can consider them free"

    public init(store: any CoordinationStore, record: NodeRecord,
                configuration: MembershipConfiguration = MembershipConfiguration(),
                selfFence: any SelfFence, logger: Logger = Logger(label: "vigil.membership")) {
        self.store = store; self.record = record; self.configuration = configuration
        self.selfFence = selfFence; self.logger = logger
        precondition(configuration.fenceMargin < .seconds(configuration.ttlSeconds),
                     "the fence margin must be shorter than the lease TTL")
        deadline = LeaseDeadline(fenceMargin: configuration.fenceMargin)
        // Beyond TTL − 2 renewal intervals a node could fence itself between two good renewals.
        let ttl = TimeSpan.seconds(configuration.ttlSeconds)
        let slack = TimeSpan(configuration.fenceMargin)
        margin = SelfFenceMargin(slack: slack, ceiling: max(slack, ttl + TimeSpan(configuration.keepAliveInterval) * -2))
    }

    /// Sets the fence margin for the HA guests run now (warns once per count the lease cannot fit).
    private func refreshMargin() {
        let guests = selfFence.haGuestCount
        deadline.fenceMargin = margin.margin(guests: guests).duration
        guard guests != marginGuests else { return }
        marginGuests = guests
        if !margin.fits(guests: guests) {
            logger.warning("the lease is too short to kill this host's HA guests before it could expire: raise the lease TTL", metadata: [
                "node": "\(record.id)", "guests": "\(guests)", "fence.needed": "\(margin.needed(guests: guests))",
                "fence.margin": "\(margin.ceiling)", "lease.ttl": "\(configuration.ttlSeconds)s"])
        }
    }

    /// Seconds since this membership was created, monotonic.
    public func now() -> Duration { ContinuousClock.now - origin }

    /// The margin the fence deadline keeps now (slack plus the estimated kill time of the guests).
    public var fenceMargin: Duration { deadline.fenceMargin }

    /// The lease deadline's state (held with its last confirmed renewal, fenced, unheld).
    public var leaseState: LeaseDeadline.State { deadline.state }

    /// The monotonic instant of a time given as an offset from this membership's start.
    public func instant(_ offset: Duration) -> ContinuousClock.Instant { origin + offset }

    /// Whether the node is fenced (its lease is not confirmed; it must run no HA domain).
    public var isFenced: Bool { if case .fenced = deadline.state { true } else { false } }

    /// Runs `hook` after the HA domains are stopped on each self-fence (e.g. an election step-down).
    public func onFence(_ hook: @escaping @Sendable (String) async -> Void) { fenceHooks.append(hook) }

    /// Joins: grants the lease, writes the record, then renews in the background. Throws if the
    /// store cannot be reached.
    public func start() async throws {
        stopped = false
        try await join()
        let renew = Task { [weak self] in await self?.renewLoop() ?? () }
        let check = Task { [weak self] in await self?.checkLoop() ?? () }
        tasks = [renew, check]
    }

    /// Leaves on purpose: stops renewing and revokes the lease (the caller stopped its domains).
    public func stop() async {
        stopped = true
        for t in tasks { t.cancel() }
        tasks = []
        if let lease { try? await store.revokeLease(lease) }
        lease = nil
        deadline.released()
    }

    /// Stops renewing without revoking or stopping anything: the lease lapses by its TTL, as when
    /// the process exits (a stopping agent leaves its guests running), or as a crashed host (tests).
    public func abandon() {
        for t in tasks { t.cancel() }
        tasks = []
    }

    /// Changes the node's administrative state (up, paused, draining) in its record.
    public func update(state: NodeState) async throws {
        record.state = state
        guard let lease else {
            throw StoreError.rejected("node \(record.id) holds no lease (not started, or fenced and not yet rejoined)")
        }
        try await store.put(ClusterKeys.node(record.id), try StoreCoding.encode(record), lease: lease)
    }

    private func join() async throws {
        if let old = fencedLease {
            do { try await store.revokeLease(old) } catch StoreError.leaseNotFound {}
            fencedLease = nil
        }
        let sentAt = now()
        let granted = try await store.grantLease(ttlSeconds: configuration.ttlSeconds)
        record.lastHeartbeat = .wallClockNow
        try await store.put(ClusterKeys.node(record.id), try StoreCoding.encode(record), lease: granted.id)
        if stopped {  // stop() ran while this join was under way
            try? await store.revokeLease(granted.id)
            return
        }
        lease = granted.id
        deadline.confirmed(sentAt: sentAt, ttl: .seconds(granted.ttlSeconds), newLease: true)
        logger.info("joined cluster", metadata: ["node": "\(record.id)", "lease": "\(granted.id)",
                                                 "ttl": "\(granted.ttlSeconds)"])
    }

    private func renewLoop() async {
        var wait = configuration.keepAliveInterval
        while !Task.isCancelled {
            try? await Task.sleep(for: wait)
            if Task.isCancelled { return }
            wait = await renewOnce() ? configuration.keepAliveInterval : configuration.retryInterval
        }
    }

    /// One renewal (or, when fenced, one rejoin attempt). Returns whether it succeeded.
    private func renewOnce() async -> Bool {
        guard let lease, !isFenced else {
            guard !fencing else { return false }
            do { try await join(); return true } catch {
                logger.warning("rejoin failed", metadata: ["node": "\(record.id)", "error": "\(error)"])
                return false
            }
        }
        let sentAt = now()
        do {
            let ttl = try await store.keepAlive(lease)
            lastRenewLatency = now() - sentAt
            deadline.confirmed(sentAt: sentAt, ttl: .seconds(ttl), newLease: false)
            if self.lease == lease, !isFenced {
                record.lastHeartbeat = .wallClockNow
                _ = try? await store.put(ClusterKeys.node(record.id), try StoreCoding.encode(record), lease: lease)
            }
            return true
        } catch StoreError.leaseNotFound {
            await perform(deadline.leaseLost(now: now()), reason: "lease \(lease) expired or was revoked")
            return false
        } catch {
            logger.warning("lease renewal failed", metadata: [
                "node": "\(record.id)", "lease": "\(lease)", "error": "\(error)",
                "fence.deadline": "\(deadline.fenceDeadline.map { "\($0)" } ?? "-")"])
            return false
        }
    }

    private func checkLoop() async {
        while !Task.isCancelled {
            let due = deadline.fenceDeadline.map { $0 - now() } ?? configuration.checkInterval
            try? await Task.sleep(for: min(max(due, .milliseconds(1)), configuration.checkInterval))
            refreshMargin()
            await perform(deadline.tick(now: now()), reason: "lease renewal not confirmed in time")
        }
    }

    private func perform(_ action: LeaseDeadline.Action, reason: String) async {
        guard case .selfFence(let fenceDeadline, let lastSend) = action else { return }
        let firedAt = now()
        let ttl = Duration.seconds(configuration.ttlSeconds)
        logger.critical("\(Self.selfFenceLogMessage)", metadata: [
            "node": "\(record.id)", "reason": "\(reason)", "lease": "\(lease.map { "\($0)" } ?? "-")",
            "fence.deadline": "\(fenceDeadline)", "lease.earliestExpiry": "\(lastSend + ttl)", "now": "\(firedAt)"])
        fencedLease = lease
        lease = nil
        fencing = true
        let guests = selfFence.haGuestCount
        await selfFence.stopHADomains(reason: reason)
        let stoppedAt = now()
        margin.measured(guests: guests, took: TimeSpan(stoppedAt - firedAt))
        for hook in fenceHooks { await hook(reason) }
        fencing = false
        let event = FenceEvent(reason: reason, lastConfirmedSend: lastSend, ttl: ttl, deadline: fenceDeadline,
                               firedAt: firedAt, stoppedAt: stoppedAt, guests: guests, margin: deadline.fenceMargin)
        fences.append(event)
        // The bound: every HA domain stopped before the store could expire the lease (and anyone take them).
        let slack = event.earliestExpiry - event.stoppedAt
        logger.critical(slack > .zero ? "self-fenced: HA domains stopped before the earliest lease expiry"
                                      : "self-fenced LATE: HA domains stopped after the earliest lease expiry", metadata: [
            "node": "\(record.id)", "stoppedAt": "\(event.stoppedAt)",
            "lease.earliestExpiry": "\(event.earliestExpiry)", "met.by.seconds": "\(slack)",
            "guests": "\(guests)", "fence.margin": "\(event.margin)", "kill.took": "\(event.stoppedAt - event.firedAt)"])
    }
}
