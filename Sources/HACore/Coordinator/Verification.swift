/// One `vigil verify` of a group: it visits each of the group's possible owners in turn (each step
/// one move, from wherever the group then runs) and goes back to where it started; each step ends
/// worked (the group runs on its target) or failed with the reason. A pure state machine: the
/// coordinator tells it where the group runs and whether a move can start, it says what to do next.
public struct Verification: Hashable, Codable, Sendable {
    /// How a verification ended.
    public enum Outcome: String, Hashable, Codable, Sendable {
        /// Every step worked and the group is back where it started.
        case passed
        /// A step failed (see the steps), or the group stopped running.
        case failed
        /// An operator aborted it: the steps left were dropped, the group went back where it started.
        case aborted
    }

    /// One move of the verification.
    public struct Step: Hashable, Codable, Sendable {
        public var from: NodeID
        public var target: NodeID
        public var startedAt: Timestamp
        public var endedAt: Timestamp?
        /// The method the move used last (a ladder may fall back from live to quick or cold).
        public var method: MoveMethod?
        /// Why it failed; nil while under way or when it worked.
        public var failure: String?

        /// Whether it ended with the group on its target.
        public var worked: Bool { endedAt != nil && failure == nil }
    }

    /// What the coordinator does next for the verification.
    public enum Action: Hashable, Sendable {
        /// Start a move of the group to this node (the step is recorded as under way).
        case move(to: NodeID)
        /// A move is under way (or none may start now): nothing to do.
        case wait
        /// It is over.
        case finished(Outcome)
    }

    /// Where the group ran when it started: the last step goes back there.
    public var origin: NodeID
    public var startedAt: Timestamp
    /// Targets still to visit, in order; the last is `origin`.
    public var pending: [NodeID]
    public var steps: [Step] = []
    public var outcome: Outcome?
    /// Set once an operator aborted it.
    public var abortedAt: Timestamp?

    /// A verification of a group running on `origin` whose possible owners are `owners` (origin
    /// among them or not); nil (with the reason) when there is no other owner to visit.
    public static func start(origin: NodeID, owners: [NodeID], at now: Timestamp) -> Result<Verification, Refusal> {
        let others = owners.filter { $0 != origin }.sorted()
        guard !others.isEmpty else { return .failure(Refusal("it has no possible owner other than \(origin) to move to")) }
        return .success(Verification(origin: origin, startedAt: now, pending: others + [origin]))
    }

    /// Why a verification cannot start.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The step under way, if any.
    public var current: Step? { steps.last.flatMap { $0.endedAt == nil ? $0 : nil } }
    public var ended: Bool { outcome != nil }

    /// The group runs (settled) on `node`: closes the step under way, then picks the next target.
    /// `refusal(target)` says why the group cannot move to a target now (nil: it can); a refused
    /// target is a failed step without a move. `budget` false: no move may start now (wait).
    public mutating func settled(on node: NodeID, at now: Timestamp, budget: Bool, refusal: (NodeID) -> String?) -> Action {
        guard outcome == nil else { return .finished(outcome!) }
        if var step = current {
            step.endedAt = now
            if node != step.target { step.failure = "the move to \(step.target) did not complete; the group stayed on \(node)" }
            steps[steps.count - 1] = step
        }
        while let target = pending.first {
            if target == node { pending.removeFirst(); continue }  // already there (a failed step left it home)
            guard budget else { return .wait }
            pending.removeFirst()
            if let why = refusal(target) {
                steps.append(Step(from: node, target: target, startedAt: now, endedAt: now, failure: why))
                continue
            }
            steps.append(Step(from: node, target: target, startedAt: now))
            return .move(to: target)
        }
        return finish(node == origin ? nil : "it could not go back to \(origin); it runs on \(node)")
    }

    /// The move under way uses `method` (the coordinator saw it migrate or stop for a cold move).
    public mutating func moving(by method: MoveMethod) {
        guard let step = current, step.method != method else { return }
        steps[steps.count - 1].method = method
    }

    /// The group stopped running (failed, offline, stopped by an operator): the verification fails.
    public mutating func lost(_ why: String, at now: Timestamp) -> Action {
        guard outcome == nil else { return .finished(outcome!) }
        if var step = current {
            step.endedAt = now
            step.failure = why
            steps[steps.count - 1] = step
        }
        pending = []
        return finish(why)
    }

    /// An operator aborts it: no further owner is visited; the group still goes back to `origin`
    /// (the step under way ends first).
    public mutating func abort(at now: Timestamp) {
        guard outcome == nil, abortedAt == nil else { return }
        abortedAt = now
        pending = [origin]
    }

    /// Why it ended as it did, in one line.
    public var failure: String?

    private mutating func finish(_ why: String?) -> Action {
        let failed = steps.filter { !$0.worked }
        if let why { failure = why } else if let first = failed.first { failure = "the move to \(first.target) failed: \(first.failure ?? "")" }
        outcome = abortedAt != nil ? .aborted : (failed.isEmpty && why == nil ? .passed : .failed)
        return .finished(outcome!)
    }

    /// The outcome and each step in one line.
    public var summary: String {
        let parts = steps.map { s in
            let what = s.worked ? "ok" : (s.failure.map { "failed: \($0)" } ?? "under way")
            return "\(s.from)→\(s.target) \(s.method?.rawValue ?? "-") \(what)"
        }
        return "\(outcome?.rawValue ?? "running") (\(parts.joined(separator: "; ")))"
    }
}
