extension GroupState {
    /// Where a group is in its life cycle, with everything that phase alone needs (swift-nio style: a
    /// fact lives in the one case it belongs to, so it cannot outlive that phase or be set in another).
    ///
    /// What belongs to a phase, and why:
    /// - what its next placement must know (a failover to count and a node to avoid, an operator's start
    ///   request and target, the group it made room for) is `Pending`, held while it stops and while it
    ///   is offline, and consumed when it is placed;
    /// - whether a start under way ends a recovery, and whether it was counted as a failover (which a
    ///   disk-lock refusal takes back) belongs to `starting`, and recovering to `restarting` and
    ///   `diskLocked` (their start may still end a recovery);
    /// - the first move method to try after a failed migration belongs to `online` (the only phase a
    ///   move starts from);
    /// - a resource that failed on the source during a migration belongs to `migrating` (handled when
    ///   the move ends).
    ///
    /// What stays a field of `GroupState` beside the phase, because it holds across phases: the nodes the
    /// group may run on (`possibleHosts`, the safety set), its restart and failover windows, the timings
    /// of its last recovery, the last alert raised for it, and `lastHost` (a node whose agent died while
    /// the group may still run there unseen; a fact about that node, cleared by its fence or its agent's
    /// report, whatever the group does meanwhile).
    public enum Phase: Hashable, Codable, Sendable {
        /// Runs nowhere; will be placed unless it waits for a fence, is held, or does not fit.
        case offline(Pending = Pending())
        /// `bringOnline` sent to this node, not yet confirmed.
        case starting(NodeID, StartKind = .start)
        /// Every resource confirmed online on this node; `moveFloor`: after a failed migration, the first
        /// move method to try next.
        case online(NodeID, moveFloor: MoveMethod? = nil)
        /// A failed resource is being restarted in place; `recovering`: the start it interrupted ends a recovery.
        case restarting(NodeID, ResourceID, recovering: Bool = false)
        /// `takeOffline` sent; once offline, start on `then` (a cold move) or place it as `Pending` says.
        case stopping(NodeID, then: NodeID?, Pending = Pending())
        /// A live or quick migration is under way; `failedOnSource`: a resource that failed on the source
        /// meanwhile, handled once the move ends.
        case migrating(from: NodeID, to: NodeID, MoveMethod, failedOnSource: ResourceID? = nil)
        /// Too many failovers: left failed until an operator moves it.
        case failed
        /// An operator stopped it (`vigil group stop`): never placed, restarted, failed over or failed
        /// back until an operator starts it. `on`: the node it is being taken offline on, until that
        /// node confirms it offline (or is fenced).
        case stopped(on: NodeID?)
        /// A start was refused by disk locks (see `GroupStatus.diskLocked`); `recovering`: that start
        /// was part of a recovery, which a later start still completes.
        case diskLocked(holder: NodeID?, retryAt: Timestamp, recovering: Bool = false)

        /// The phase without its data, as readers outside the coordinator see it.
        public var status: GroupStatus {
            switch self {
            case .offline: .offline
            case .starting(let n, _): .starting(n)
            case .online(let n, _): .online(n)
            case .restarting(let n, let r, _): .restarting(n, r)
            case .stopping(let n, let then, _): .stopping(n, then: then)
            case .migrating(let a, let b, let m, _): .migrating(from: a, to: b, m)
            case .failed: .failed
            case .stopped(let n?): .stopping(n, then: nil)
            case .stopped(nil): .stopped
            case .diskLocked(let h, let t, _): .diskLocked(holder: h, retryAt: t)
            }
        }

        /// Whether reaching online ends a recovery (completes its timings).
        var isRecovering: Bool {
            switch self {
            case .offline(let p), .stopping(_, _, let p): p.recovering != nil
            case .starting(_, let kind): kind != .start
            case .restarting(_, _, let r), .diskLocked(_, _, let r): r
            case .online, .migrating, .failed, .stopped: false
            }
        }

        /// What a stop from this phase hands on to the next placement.
        var pending: Pending {
            switch self {
            case .offline(let p), .stopping(_, _, let p): p
            case _ where isRecovering: Pending(recovering: Recovering())
            default: Pending()
            }
        }

        /// The group this one is stopping to make room for, while it stops.
        var stoppingToMakeRoom: GroupID? {
            if case .stopping(_, _, let p) = self { p.preemptedFor } else { nil }
        }
    }

    /// What an offline group's next placement must know; kept from the stop that led there.
    public struct Pending: Hashable, Codable, Sendable {
        /// The last stop was a failure: the next placement is a failover.
        public var recovering: Recovering?
        /// An operator asked to start the group (needed for `noAutoStart` groups).
        public var request: StartRequest?
        /// The higher-priority group this one was taken offline for (priority preemption).
        public var preemptedFor: GroupID?
        public init(recovering: Recovering? = nil, request: StartRequest? = nil, preemptedFor: GroupID? = nil) {
            self.recovering = recovering
            self.request = request
            self.preemptedFor = preemptedFor
        }
    }

    /// A failure being recovered from: where the group failed, to avoid on the next placement (nil
    /// when its node was lost: that node takes nothing until it rejoins anyway).
    public struct Recovering: Hashable, Codable, Sendable {
        public var avoid: NodeID?
        public init(avoid: NodeID? = nil) { self.avoid = avoid }
    }

    /// An operator's request to start the group, on `target` or wherever fits best.
    public struct StartRequest: Hashable, Codable, Sendable {
        public var target: NodeID?
        public init(target: NodeID? = nil) { self.target = target }
    }

    /// What a start under way means for the group's recovery.
    public enum StartKind: String, Hashable, Codable, Sendable {
        /// A start, a cold move's second half, or an operator's start: no recovery.
        case start
        /// Ends a recovery but was not counted as a failover (its guests may still run where it started).
        case recovery
        /// A failover, counted in the group's failover window (taken back if disk locks refuse it).
        case failover
    }
}
