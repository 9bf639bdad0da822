/// How important a group is: the order in which groups are started and moved, or whether at all.
public enum GroupPriority: String, Hashable, Codable, Sendable, CaseIterable, Comparable {
    case high, medium, low
    /// Started by an operator only; never started automatically after a failure.
    case noAutoStart
    public static func < (a: GroupPriority, b: GroupPriority) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Whether and when a group moves back to its most preferred owner once that owner is available again.
public enum FailbackPolicy: Hashable, Codable, Sendable {
    /// Stay where it is (the WSFC default).
    case never
    /// Move back as soon as the preferred owner is up.
    case immediately
    /// Move back only between these hours of the day (start inclusive, end exclusive; may wrap midnight).
    case window(startHour: Int, endHour: Int)
}

/// A count of events allowed within a sliding period ("at most 1 restart in 15 minutes").
public struct ThresholdPolicy: Hashable, Codable, Sendable {
    /// How many events are allowed within `period`.
    public var threshold: Int
    /// The sliding window the threshold applies to.
    public var period: TimeSpan
    public init(threshold: Int, period: TimeSpan) { self.threshold = threshold; self.period = period }
}

/// The per-group failover policy, with WSFC's defaults.
public struct GroupPolicy: Hashable, Codable, Sendable {
    /// Owners to prefer, most preferred first (empty: no preference).
    public var preferredOwners: [NodeID]
    /// Nodes the group may ever run on (empty: every node).
    public var possibleOwners: Set<NodeID>
    /// Restarts on the same node allowed within the period; beyond it, the group fails over.
    public var restart: ThresholdPolicy
    /// Failovers allowed within the period; beyond it, the group is left failed.
    public var failover: ThresholdPolicy
    public var failback: FailbackPolicy
    public var priority: GroupPriority
    /// Groups sharing a class name are kept on different nodes when possible.
    public var antiAffinityClasses: Set<String>
    /// What a node does with a guest of the group that a disk I/O error paused (nil: the default,
    /// `PausedGuestPolicy.default`; optional so that records from before it decode).
    public var pausedGuest: PausedGuestPolicy?
    /// The behaviour in force.
    public var onPausedGuest: PausedGuestPolicy { pausedGuest ?? .default }
    /// The group's own live-migration limits (nil: the agents' `migration` settings).
    public var migration: MigrationPolicy?

    public init(preferredOwners: [NodeID] = [], possibleOwners: Set<NodeID> = [],
                restart: ThresholdPolicy = ThresholdPolicy(threshold: 1, period: .minutes(15)),
                failover: ThresholdPolicy = ThresholdPolicy(threshold: 2, period: .hours(6)),
                failback: FailbackPolicy = .never, priority: GroupPriority = .medium,
                antiAffinityClasses: Set<String> = [], migration: MigrationPolicy? = nil, pausedGuest: PausedGuestPolicy? = nil) {
        self.preferredOwners = preferredOwners
        self.possibleOwners = possibleOwners
        self.restart = restart
        self.failover = failover
        self.failback = failback
        self.priority = priority
        self.antiAffinityClasses = antiAffinityClasses
        self.migration = migration
        self.pausedGuest = pausedGuest
    }

    /// True if `node` is allowed by `possibleOwners`.
    public func allows(_ node: NodeID) -> Bool { possibleOwners.isEmpty || possibleOwners.contains(node) }
}

extension FailbackPolicy {
    /// True if a failback may start at `now`.
    public func allowsFailback(at now: Timestamp) -> Bool {
        switch self {
        case .never: return false
        case .immediately: return true
        case .window(let s, let e):
            let h = now.hourOfDay
            return s <= e ? (h >= s && h < e) : (h >= s || h < e)
        }
    }

    /// When a failback not allowed at `now` will next be allowed (nil: never).
    public func nextOpening(after now: Timestamp) -> Timestamp? {
        switch self {
        case .never: return nil
        case .immediately: return now
        case .window(let s, _): return allowsFailback(at: now) ? now : now.nextStart(ofHour: s)
        }
    }
}
