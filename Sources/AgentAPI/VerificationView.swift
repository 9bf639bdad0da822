/// A group's verification (`vigil verify`) under way or its last one, as the status shows it.
public struct VerificationView: Codable, Sendable, Equatable {
    /// One move of the verification.
    public struct Step: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        /// live, quick or cold: the method the move used last (absent: no move started).
        public var method: String?
        /// Seconds the move took (absent while under way).
        public var seconds: Double?
        /// ok, failed or moving.
        public var result: String
        /// Why it failed.
        public var reason: String?

        public init(from: String, to: String, method: String?, seconds: Double?, result: String, reason: String?) {
            self.from = from
            self.to = to
            self.method = method
            self.seconds = seconds
            self.result = result
            self.reason = reason
        }
    }

    /// Where the group ran when it started; it ends there.
    public var origin: String
    /// ISO 8601.
    public var startedAt: String
    /// passed, failed or aborted; absent while under way.
    public var outcome: String?
    /// Why it failed.
    public var failure: String?
    public var steps: [Step]
    /// Owners still to visit, in order (the last is `origin`).
    public var pending: [String]

    public init(origin: String, startedAt: String, outcome: String?, failure: String?, steps: [Step], pending: [String]) {
        self.origin = origin
        self.startedAt = startedAt
        self.outcome = outcome
        self.failure = failure
        self.steps = steps
        self.pending = pending
    }
}
