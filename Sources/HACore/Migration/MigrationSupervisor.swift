/// The rungs a supervised live migration climbs when its copy does not converge, in order.
public enum MigrationRung: String, Codable, Hashable, Sendable, CaseIterable, Comparable {
    /// The first pass: plain pre-copy, the guest running at full speed.
    case precopy
    /// A second pass with auto-converge: the guest's vCPUs are throttled until the copy catches up.
    /// (QEMU cannot turn the capability on during a pass, so the pass is aborted and started again.)
    case autoConverge
    /// Post-copy: the guest runs on the target and fetches the rest of its memory from the source.
    case postCopy
    /// The job is aborted; the guest keeps running on the source and the move falls back.
    case abort

    public static func < (a: MigrationRung, b: MigrationRung) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Decides, from a live migration's progress samples and the time, when its copy is stuck or over
/// its budget and which rung comes next: auto-converge, then post-copy where the group allows it,
/// then abort (the coordinator then falls back to quick migration, then to a cold move). Pure: the
/// shell samples the hypervisor, feeds samples and ticks with the time, and performs the actions.
///
/// No migration holds its group forever: each pass has a completion budget (per GiB of guest memory)
/// and a no-progress timeout, there are at most two passes, and an abort is asked again until the
/// job ends. Only post-copy, once switched to, runs to its end: it cannot be undone.
public struct MigrationSupervisor: Sendable {
    /// What the shell does next, with the reason for the decision record.
    public struct Action: Hashable, Sendable {
        public enum Kind: Hashable, Sendable {
            /// Abort this pass and migrate again with auto-converge (then call `passStarted`).
            case restartWithAutoConverge
            /// Switch the running job to post-copy.
            case startPostCopy
            /// Abort the job: the live migration fails and the guest stays on the source.
            case abort
        }
        public let kind: Kind
        public let reason: String
        /// The rung this action climbs to.
        public var rung: MigrationRung {
            switch kind {
            case .restartWithAutoConverge: .autoConverge
            case .startPostCopy: .postCopy
            case .abort: .abort
            }
        }
    }

    /// One pass of pre-copy.
    struct Pass: Hashable, Sendable {
        let rung: MigrationRung
        let started: Timestamp
        /// The lowest `dataRemaining` seen in this pass, and when it was first seen (the pass's start before any).
        var lowestRemaining: UInt64?
        var lowestAt: Timestamp
    }

    enum State: Hashable, Sendable {
        /// A pass of pre-copy runs.
        case copying(Pass)
        /// The shell was told at this time to abort the pass and start one with auto-converge, and has not yet.
        case restarting(askedAt: Timestamp)
        /// Switched to post-copy at this time: the job runs to its end.
        case postCopy(since: Timestamp)
        /// An abort was asked at this time, for this reason.
        case aborting(askedAt: Timestamp, reason: String)
        /// The job ended (succeeded or failed) on this rung; nothing more is decided.
        case ended(MigrationRung)
    }

    public let limits: MigrationLimits
    /// The guest's memory, which sizes the completion budget.
    public let memoryMiB: Int
    private(set) var state: State
    /// The last sample, for reasons and for status.
    public private(set) var latest: MigrationProgress?
    /// Why an abort was requested from outside (the leader, for a drain's abort or deadline), once
    /// one was honoured: the move then ends aborted instead of falling back.
    public private(set) var requestedAbort: String?

    /// A supervisor for a migration whose first pass starts at `now`.
    public init(memoryMiB: Int, limits: MigrationLimits, at now: Timestamp) {
        self.memoryMiB = memoryMiB
        self.limits = limits
        self.state = .copying(Pass(rung: .precopy, started: now, lowestRemaining: nil, lowestAt: now))
    }

    /// The rung the migration is on.
    public var rung: MigrationRung {
        switch state {
        case .copying(let pass): pass.rung
        case .restarting: .autoConverge
        case .postCopy: .postCopy
        case .aborting: .abort
        case .ended(let rung): rung
        }
    }

    /// Whether the job the shell starts now runs with auto-converge.
    public var autoConverge: Bool { rung == .autoConverge }
    /// Whether the job must be started able to switch to post-copy (the group allows it).
    public var postCopyCapable: Bool { limits.postCopy }

    /// The completion budget of one pass.
    public var passBudget: TimeSpan { limits.completionBudget(memoryMiB: memoryMiB) }

    /// When `tick` must be called at the latest for a deadline to be kept (nil: none pending).
    public var nextCheck: Timestamp? {
        switch state {
        case .copying(let pass): min(pass.started + passBudget, pass.lowestAt + limits.noProgress)
        case .aborting(let asked, _), .restarting(let asked): asked + limits.abortRetry
        case .postCopy, .ended: nil
        }
    }

    /// A new sample of the job's progress.
    public mutating func sampled(_ progress: MigrationProgress, at now: Timestamp) -> [Action] {
        latest = progress
        if case .copying(var pass) = state, progress.dataTotal > 0 {
            if pass.lowestRemaining.map({ progress.dataRemaining < $0 }) ?? true {
                pass.lowestRemaining = progress.dataRemaining
                pass.lowestAt = now
            }
            state = .copying(pass)
        }
        return tick(at: now)
    }

    /// The time passed; returns what to do if a limit is now exceeded.
    public mutating func tick(at now: Timestamp) -> [Action] {
        switch state {
        case .copying(let pass):
            guard let why = stuck(pass, at: now) else { return [] }
            return [climb(from: pass.rung, because: why, at: now)]
        case .aborting(let asked, let reason) where now >= asked + limits.abortRetry:
            state = .aborting(askedAt: now, reason: reason)
            return [Action(kind: .abort, reason: "the job still runs \(now - asked) after its abort was asked; asking again (\(reason))")]
        case .restarting(let asked) where now >= asked + limits.abortRetry:
            state = .restarting(askedAt: now)
            return [Action(kind: .restartWithAutoConverge, reason: "the pass still runs \(now - asked) after its abort was asked; asking again")]
        case .aborting, .restarting, .postCopy, .ended:
            return []
        }
    }

    /// The shell started the pass with auto-converge it was told to.
    public mutating func passStarted(at now: Timestamp) {
        guard case .restarting = state else { return }
        state = .copying(Pass(rung: .autoConverge, started: now, lowestRemaining: nil, lowestAt: now))
    }

    /// The hypervisor refused to switch to post-copy: the job is aborted instead.
    public mutating func postCopyRefused(_ error: String, at now: Timestamp) -> [Action] {
        guard case .postCopy = state else { return [] }
        let why = "the switch to post-copy failed (\(error))"
        state = .aborting(askedAt: now, reason: why)
        return [Action(kind: .abort, reason: "\(why); aborting the live migration: the move falls back to quick migration, then to a cold move")]
    }

    /// The leader asked to abort the move (`aborts/<group>`): the job is aborted unless it switched
    /// to post-copy (the guest already runs on the target; it can only finish) or has ended.
    public mutating func abortRequested(_ reason: String, at now: Timestamp) -> [Action] {
        switch state {
        case .copying, .restarting:
            requestedAbort = reason
            state = .aborting(askedAt: now, reason: reason)
            return [Action(kind: .abort, reason: "abort requested (\(reason)); aborting the live migration: the guest keeps running on the source and the move ends aborted")]
        case .aborting(let asked, _):
            // Already aborting on its own: the end is the same, but it ends aborted, not falling back.
            requestedAbort = reason
            state = .aborting(askedAt: asked, reason: reason)
            return []
        case .postCopy, .ended:
            return []
        }
    }

    /// The job ended, however: nothing more is decided.
    public mutating func ended() { state = .ended(rung) }

    /// Why the pass must end now, or nil while it is within its limits.
    private func stuck(_ pass: Pass, at now: Timestamp) -> String? {
        let budget = passBudget
        let progress = latest.map { ": \($0.summary)" } ?? ": no progress reported"
        if now >= pass.started + budget {
            return "\(pass.rung.rawValue) pass not done within its budget of \(budget) (\(limits.completionPerGiB) per GiB of \(memoryMiB) MiB)\(progress)"
        }
        if now >= pass.lowestAt + limits.noProgress {
            let lowest = pass.lowestRemaining.map { "at best \(MigrationProgress.mebibytes($0)) MiB still to copy" } ?? "nothing copied"
            return "no progress in \(limits.noProgress) (\(lowest))\(progress)"
        }
        return nil
    }

    /// The next rung above `rung` that the limits allow, entered now.
    private mutating func climb(from rung: MigrationRung, because why: String, at now: Timestamp) -> Action {
        if rung < .autoConverge, limits.autoConverge {
            state = .restarting(askedAt: now)
            return Action(kind: .restartWithAutoConverge, reason: "\(why); copying again with auto-converge (the guest's vCPUs throttled until the copy catches up)")
        }
        if limits.postCopy {
            state = .postCopy(since: now)
            return Action(kind: .startPostCopy, reason: "\(why); switching to post-copy, which the group allows (the guest now runs on the target)")
        }
        let tried = limits.autoConverge ? "auto-converge tried" : "auto-converge not allowed"
        let reason = "\(why); aborting the live migration (\(tried), post-copy not allowed by the group): the move falls back to quick migration, then to a cold move"
        state = .aborting(askedAt: now, reason: why)
        return Action(kind: .abort, reason: reason)
    }
}
