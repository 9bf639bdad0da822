import HACoordination

/// The pure decision whether to pet the host watchdog (no IO, time injected as offsets from the
/// membership's origin, the clock of `LeaseDeadline`).
///
/// Proof-of-death argument. The watchdog is petted only while the last confirmed renewal is recent
/// (`now < lastConfirmedSend + petWindow`, the send time of the last confirmed renewal, with
/// `petWindow ≤ ttl`) and the agent's health loop ticked within `healthTolerance`. So the last pet
/// comes before `lastConfirmedSend + petWindow`, and the device resets the host by
/// `lastConfirmedSend + petWindow + timeout`. The store expires the lease no earlier than
/// `lastConfirmedSend + ttl`, so once the cluster has seen the lease expire and then waited
/// `resetAfterExpiry = max(0, petWindow + timeout − ttl)`, this host has been reset, or its agent was
/// alive enough to self-fence (stop its HA domains) first. A hung or dead agent pets nothing, so it
/// gets its host reset. The shorter the window, the sooner a lost lease proves death (with a window
/// of `ttl − timeout`, at its expiry), and the sooner a host whose renewals stall is reset.
///
/// States: `.petting` (both inputs fresh), `.starving` (stopped petting, with the reason: the
/// watchdog fires unless both become fresh again, e.g. a fresh lease after a self-fence, whose
/// domains are stopped by then), `.disarmed` (graceful stop: the shell disarms the device; final).
public struct WatchdogPetting: Sendable, Hashable {
    /// Why the watchdog is no longer petted.
    public enum Starvation: Sendable, Hashable, CustomStringConvertible {
        /// No lease is held (not joined, or left the cluster).
        case leaseNotHeld
        /// The node self-fenced at this time and holds no new lease yet.
        case fenced(at: Duration)
        /// The last confirmed renewal is older than the pet window.
        case leaseStale(lastConfirmedSend: Duration, window: Duration)
        /// The agent's health loop has not ticked since this time.
        case healthStale(lastTick: Duration)

        public var description: String {
            switch self {
            case .leaseNotHeld: "no lease is held"
            case .fenced(let at): "the node self-fenced at \(at.seconds) s and holds no new lease"
            case let .leaseStale(send, window):
                "the last confirmed lease renewal (sent at \(send.seconds) s) is older than the pet window (\(window.seconds) s)"
            case .healthStale(let tick): "the agent's health loop has not ticked since \(tick.seconds) s"
            }
        }
    }

    /// Where the petting stands.
    public enum State: Sendable, Hashable {
        /// Both the lease and the health loop are fresh; last petted at `lastPet`.
        case petting(lastPet: Duration)
        /// Not petted since `lastPet` (nil: never), for `reason`: the watchdog fires its timeout after it.
        case starving(since: Duration, lastPet: Duration?, reason: Starvation)
        /// A graceful stop disarmed the watchdog; nothing more happens.
        case disarmed(at: Duration)
    }

    /// What the shell must do after an event.
    public enum Action: Sendable, Hashable {
        case none
        /// Write one keepalive to the device.
        case pet
        /// Stop petting (the watchdog will reset the host): log why. Returned once per starvation.
        case stopPetting(Starvation)
        /// Write the magic close character and close the device: the watchdog stops.
        case disarm
    }

    public private(set) var state: State
    /// How long the health loop may go without a tick before petting stops.
    public let healthTolerance: Duration
    /// How long after the send time of its last confirmed renewal petting goes on (nil: the lease TTL).
    public let petWindow: Duration?
    /// The last health tick seen (the arming time until the first one).
    public private(set) var lastHealthTick: Duration

    /// The device was armed (opened, petted once) at `armedAt`.
    public init(armedAt: Duration, healthTolerance: Duration, petWindow: Duration? = nil) {
        state = .petting(lastPet: armedAt)
        self.healthTolerance = healthTolerance
        self.petWindow = petWindow
        lastHealthTick = armedAt
    }

    /// The pet window for a lease of `ttl` renewed every `renewal` and a watchdog of `timeout`: short
    /// enough that the watchdog resets a host that stopped renewing by the time its lease may expire
    /// (`ttl − timeout`), but never shorter than two renewals (one slow renewal must not stop the petting).
    public static func window(ttl: Duration, renewal: Duration, timeout: Duration) -> Duration {
        min(ttl, max(renewal * 2, ttl - timeout))
    }

    /// How long after its lease expired a host petting within `window` has certainly been reset.
    public static func resetAfterExpiry(ttl: Duration, window: Duration, timeout: Duration) -> Duration {
        max(.zero, window + timeout - ttl)
    }

    /// The agent's health loop ran at `now`. An older tick than the one known changes nothing.
    public mutating func healthTicked(at now: Duration) { lastHealthTick = max(lastHealthTick, now) }

    /// The petting interval elapsed: pets when the lease and the health loop are both fresh at `now`.
    public mutating func tick(now: Duration, lease: LeaseDeadline.State) -> Action {
        if case .disarmed = state { return .none }
        guard let reason = starvation(now: now, lease: lease) else {
            state = .petting(lastPet: now)
            return .pet
        }
        switch state {
        case .petting(let lastPet):
            state = .starving(since: now, lastPet: lastPet, reason: reason)
            return .stopPetting(reason)
        case let .starving(since, lastPet, _):
            state = .starving(since: since, lastPet: lastPet, reason: reason)
            return .none
        case .disarmed:
            return .none
        }
    }

    /// A graceful stop (SIGTERM): disarm, whatever the inputs, unless already disarmed.
    public mutating func stopRequested(now: Duration) -> Action {
        if case .disarmed = state { return .none }
        state = .disarmed(at: now)
        return .disarm
    }

    /// Why petting must stop at `now`, or nil when both inputs are fresh.
    private func starvation(now: Duration, lease: LeaseDeadline.State) -> Starvation? {
        switch lease {
        case .unheld: return .leaseNotHeld
        case .fenced(let at): return .fenced(at: at)
        case let .held(send, ttl):
            if now >= send + min(ttl, petWindow ?? ttl) { return .leaseStale(lastConfirmedSend: send, window: min(ttl, petWindow ?? ttl)) }
        }
        if now - lastHealthTick > healthTolerance { return .healthStale(lastTick: lastHealthTick) }
        return nil
    }
}
