/// Settings of the cluster coordinator.
public struct CoordinatorConfiguration: Hashable, Codable, Sendable {
    /// How long after a lease is lost the node is taken as fenced (its watchdog has fired by then).
    /// Must exceed the worst watchdog delay plus clock drift; zero is unsafe.
    public var fencingMargin: TimeSpan
    /// How many groups move off one node at once (drains, reserve hosts, failbacks; KubeVirt: 2).
    public var maxConcurrentMovesPerDrain: Int
    /// How many groups move at once in the whole cluster (KubeVirt: 5).
    public var maxConcurrentMovesPerCluster: Int
    /// How long a drain may take unless its request says otherwise: then it stops moving, aborts the
    /// live migrations still in flight and ends incomplete, naming the groups left.
    public var drainDeadline: TimeSpan
    public var placement: PlacementOptions
    /// A node that lost its lease this often within the period comes back quarantined (WSFC: 3 in 1h).
    public var quarantine: ThresholdPolicy
    /// How long a quarantine lasts before the node takes groups again on its own (WSFC: 2h); zero
    /// keeps it quarantined until an operator resumes it.
    public var quarantineDuration: TimeSpan
    /// How long a new leader waits for a node that was a member but has not renewed its lease under
    /// it before declaring it lost (all agents restarting at once must not fail anything over).
    public var startupGrace: TimeSpan
    /// How often a start refused by disk locks is tried again (the locks go when their holder dies).
    public var lockRetryInterval: TimeSpan

    public init(fencingMargin: TimeSpan = .seconds(10), maxConcurrentMovesPerDrain: Int = 2,
                placement: PlacementOptions = PlacementOptions(),
                quarantine: ThresholdPolicy = ThresholdPolicy(threshold: 3, period: .hours(1)),
                quarantineDuration: TimeSpan = .hours(2), startupGrace: TimeSpan = .seconds(30),
                lockRetryInterval: TimeSpan = .seconds(5), maxConcurrentMovesPerCluster: Int = 5,
                drainDeadline: TimeSpan = .minutes(30)) {
        self.fencingMargin = fencingMargin
        self.startupGrace = startupGrace
        self.lockRetryInterval = lockRetryInterval
        self.maxConcurrentMovesPerDrain = max(1, maxConcurrentMovesPerDrain)
        self.maxConcurrentMovesPerCluster = max(1, maxConcurrentMovesPerCluster)
        self.drainDeadline = drainDeadline
        self.placement = placement
        self.quarantine = quarantine
        self.quarantineDuration = quarantineDuration
    }

    enum CodingKeys: String, CodingKey {
        case fencingMargin, maxConcurrentMovesPerDrain, placement, quarantine, quarantineDuration, startupGrace, lockRetryInterval
        case maxConcurrentMovesPerCluster, drainDeadline
    }

    /// Missing settings take their defaults (older stored configurations stay readable).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CoordinatorConfiguration()
        self.init(fencingMargin: try c.decodeIfPresent(TimeSpan.self, forKey: .fencingMargin) ?? d.fencingMargin,
                  maxConcurrentMovesPerDrain: try c.decodeIfPresent(Int.self, forKey: .maxConcurrentMovesPerDrain) ?? d.maxConcurrentMovesPerDrain,
                  placement: try c.decodeIfPresent(PlacementOptions.self, forKey: .placement) ?? d.placement,
                  quarantine: try c.decodeIfPresent(ThresholdPolicy.self, forKey: .quarantine) ?? d.quarantine,
                  quarantineDuration: try c.decodeIfPresent(TimeSpan.self, forKey: .quarantineDuration) ?? d.quarantineDuration,
                  startupGrace: try c.decodeIfPresent(TimeSpan.self, forKey: .startupGrace) ?? d.startupGrace,
                  lockRetryInterval: try c.decodeIfPresent(TimeSpan.self, forKey: .lockRetryInterval) ?? d.lockRetryInterval,
                  maxConcurrentMovesPerCluster: try c.decodeIfPresent(Int.self, forKey: .maxConcurrentMovesPerCluster) ?? d.maxConcurrentMovesPerCluster,
                  drainDeadline: try c.decodeIfPresent(TimeSpan.self, forKey: .drainDeadline) ?? d.drainDeadline)
    }
}

/// The directives decided while handling one event, stamped with the event's time.
struct Decisions {
    let now: Timestamp
    var directives: [Directive] = []
    mutating func add(_ action: Directive.Action, _ reason: String) { directives.append(Directive(action, reason: reason)) }
}
