/// The pure self-fencing decision for one node lease (no IO, time injected as offsets from any
/// fixed origin).
///
/// Timing argument. A keepalive *sent* at local time `s` that succeeds makes the store extend
/// the lease to at least `s + ttl` in the store's time: the store processed it after we sent it,
/// and an etcd leader change only re-arms leases later, never earlier. (etcd 3.4 renews leases on
/// its leader without consensus, so a partitioned old leader may renew for up to one election
/// timeout after a new one took over; the new leader re-arms every lease with TTL + one election
/// timeout when it is promoted, which covers exactly that window.) Nobody can take this
/// node's groups before the lease expires, so if the node has stopped its HA domains by
/// `s + ttl - fenceMargin` (local monotonic time; `fenceMargin` covers stopping the domains plus
/// clock-rate drift), no VM ever runs twice. Hence the deadline is computed from the *send* time
/// of the last successful renewal, never from when its answer arrived, and the fence fires by
/// timer, not when a hanging call finally fails.
///
/// States: `.unheld` (no lease yet, or after fencing: nothing to protect), `.held` (lease
/// confirmed; fence deadline known), `.fenced` (deadline passed; domains stopped; only a new
/// lease leaves this state).
public struct LeaseDeadline: Sendable, Hashable {
    /// Where the lease stands, as this node knows it.
    public enum State: Sendable, Hashable {
        case unheld
        case held(lastConfirmedSend: Duration, ttl: Duration)
        case fenced(at: Duration)
    }

    /// What the shell must do after an event.
    public enum Action: Sendable, Hashable {
        case none
        /// Stop the HA domains now: the lease may expire soon and others would take them.
        case selfFence(deadline: Duration, lastConfirmedSend: Duration)
    }

    public private(set) var state: State = .unheld
    /// Time kept between the fence and the earliest possible expiry in the store (the shell may
    /// change it as the time the fence needs changes, e.g. with the number of guests to kill).
    public var fenceMargin: Duration

    public init(fenceMargin: Duration) { self.fenceMargin = fenceMargin }

    /// The moment by which HA domains must be stopped unless a renewal succeeds, if a lease is held.
    public var fenceDeadline: Duration? {
        if case .held(let s, let ttl) = state { return s + ttl - fenceMargin }
        return nil
    }

    /// A lease was granted (or renewed) by a request sent at `sentAt`; the store granted `ttl`.
    /// A confirmation of an older send than the one already known changes nothing. After a
    /// fence, only a freshly granted lease (`newLease`) holds again.
    public mutating func confirmed(sentAt: Duration, ttl: Duration, newLease: Bool) {
        switch state {
        case .unheld:
            if newLease { state = .held(lastConfirmedSend: sentAt, ttl: ttl) }
        case .held(let s, _):
            if sentAt >= s { state = .held(lastConfirmedSend: sentAt, ttl: ttl) }
        case .fenced:
            if newLease { state = .held(lastConfirmedSend: sentAt, ttl: ttl) }
        }
    }

    /// The store said the lease is gone (expired or revoked).
    public mutating func leaseLost(now: Duration) -> Action { fence(now: now) }

    /// Time passes: fences if the deadline has come.
    public mutating func tick(now: Duration) -> Action {
        guard let deadline = fenceDeadline, now >= deadline else { return .none }
        return fence(now: now)
    }

    private mutating func fence(now: Duration) -> Action {
        switch state {
        case .held(let s, _):
            let deadline = fenceDeadline ?? now
            state = .fenced(at: now)
            return .selfFence(deadline: deadline, lastConfirmedSend: s)
        case .unheld, .fenced:
            return .none
        }
    }

    /// The node left the cluster on purpose (lease revoked after stopping its domains).
    public mutating func released() { state = .unheld }
}
