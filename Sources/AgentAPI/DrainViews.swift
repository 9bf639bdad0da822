/// A node's latest drain in `NodeView`: when it was asked, its deadline, how it ended (nil while it
/// runs), the groups it moved off, and each group it left on the node with the reason.
public struct DrainView: Codable, Sendable, Equatable {
    /// One group the drain left where it runs.
    public struct Left: Codable, Sendable, Equatable {
        public var group: String
        public var reason: String
        public init(group: String, reason: String) { self.group = group; self.reason = reason }
    }

    /// ISO 8601, UTC (nil: recorded by an older leader).
    public var startedAt: String?
    public var deadline: String
    /// complete, incomplete or aborted; nil while the drain runs.
    public var outcome: String?
    /// The outcome in one line, naming each group left and why.
    public var summary: String?
    public var moved: [String]
    public var left: [Left]
    /// Groups `vigil node resume --failback` still has to bring home.
    public var failback: [String]

    public init(startedAt: String?, deadline: String, outcome: String?, summary: String?, moved: [String], left: [Left], failback: [String]) {
        self.startedAt = startedAt
        self.deadline = deadline
        self.outcome = outcome
        self.summary = summary
        self.moved = moved
        self.left = left
        self.failback = failback
    }
}

/// `GET /v1/nodes/<node>/drain-plan` (`vigil node drain --dry-run`): what a drain would do now, per
/// group, the whole drain's estimate at its concurrency, the rates the estimates use (measured on
/// earlier moves, or assumed), and the cluster's N+x now and once the node is drained.
public struct DrainPlanView: Codable, Sendable, Equatable {
    /// One group's part of the drain.
    public struct Move: Codable, Sendable, Equatable {
        public var group: String
        public var memoryMiB: Int
        /// Where it would go; nil when it cannot move now (`reason` says why).
        public var target: String?
        /// live, quick or cold: the first rung it would try.
        public var method: String?
        public var estimatedSeconds: Double?
        public var reason: String

        public init(group: String, memoryMiB: Int, target: String?, method: String?, estimatedSeconds: Double?, reason: String) {
            self.group = group
            self.memoryMiB = memoryMiB
            self.target = target
            self.method = method
            self.estimatedSeconds = estimatedSeconds
            self.reason = reason
        }
    }

    /// The speed the estimates of one method use.
    public struct Rate: Codable, Sendable, Equatable {
        public var method: String
        public var mebibytesPerSecond: Double
        /// Moves it was measured on; 0 when it is assumed (no move of the method measured yet).
        public var measuredOn: Int
        public var assumed: Bool

        public init(method: String, mebibytesPerSecond: Double, measuredOn: Int) {
            self.method = method
            self.mebibytesPerSecond = mebibytesPerSecond
            self.measuredOn = measuredOn
            self.assumed = measuredOn == 0
        }
    }

    public var node: String
    /// Why the node cannot be drained at all (nil: it can).
    public var refusal: String?
    /// In the order the drain would move them.
    public var moves: [Move]
    /// Moves at once off the node.
    public var concurrency: Int
    public var estimatedSeconds: Double?
    public var rates: [Rate]
    /// How many node failures the cluster survives now, and once the node is drained.
    public var toleratesNow: Int
    public var toleratesAfter: Int

    public init(node: String, refusal: String?, moves: [Move], concurrency: Int, estimatedSeconds: Double?, rates: [Rate],
                toleratesNow: Int, toleratesAfter: Int) {
        self.node = node
        self.refusal = refusal
        self.moves = moves
        self.concurrency = concurrency
        self.estimatedSeconds = estimatedSeconds
        self.rates = rates
        self.toleratesNow = toleratesNow
        self.toleratesAfter = toleratesAfter
    }
}

/// The body of `POST /v1/nodes/<node>/drain` and `.../resume` (both fields optional).
public struct NodeRequest: Codable, Sendable, Equatable {
    /// drain: how long it may take, e.g. 45m (the cluster's default otherwise).
    public var deadline: String?
    /// resume: bring home the groups the node's last drain moved off, live where they allow.
    public var failback: Bool?

    public init(deadline: String? = nil, failback: Bool? = nil) {
        self.deadline = deadline
        self.failback = failback
    }
}
