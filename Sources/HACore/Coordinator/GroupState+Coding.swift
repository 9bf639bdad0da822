/// A group state is stored as its phase and its cross-phase fields. Records written before the
/// phase existed (a `status` beside flags) still decode: `legacyPhase` turns the flags that mattered
/// in that status into the phase's data and drops the ones that no longer meant anything there.
extension GroupState: Codable {
    enum CodingKeys: String, CodingKey {
        case phase, possibleHosts, restarts, failovers, lastAlert, lastHost, recovery, verification
        // The flag shape of older records.
        case status, recovering, avoid, moveFloor, failedDuringMove, startRequested, requestedTarget,
             preemptedFor, failoverCountedAt
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(phase, forKey: .phase)
        try c.encode(possibleHosts, forKey: .possibleHosts)
        try c.encode(restarts, forKey: .restarts)
        try c.encode(failovers, forKey: .failovers)
        try c.encodeIfPresent(lastAlert, forKey: .lastAlert)
        try c.encodeIfPresent(lastHost, forKey: .lastHost)
        try c.encodeIfPresent(recovery, forKey: .recovery)
        try c.encodeIfPresent(verification, forKey: .verification)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(phase: try c.decodeIfPresent(GroupState.Phase.self, forKey: .phase) ?? Self.legacyPhase(c),
                  possibleHosts: try c.decodeIfPresent(Set<NodeID>.self, forKey: .possibleHosts) ?? [])
        restarts = try c.decodeIfPresent([NodeID: SlidingWindow].self, forKey: .restarts) ?? [:]
        failovers = try c.decodeIfPresent(SlidingWindow.self, forKey: .failovers) ?? SlidingWindow()
        lastAlert = try c.decodeIfPresent(String.self, forKey: .lastAlert)
        lastHost = try c.decodeIfPresent(NodeID.self, forKey: .lastHost)
        recovery = try c.decodeIfPresent(RecoveryTimes.self, forKey: .recovery)
        verification = try c.decodeIfPresent(Verification.self, forKey: .verification)
    }

    /// The phase an older record's status and flags describe.
    static func legacyPhase(_ c: KeyedDecodingContainer<CodingKeys>) throws -> GroupState.Phase {
        let status = try c.decode(GroupStatus.self, forKey: .status)
        let recovering = try c.decodeIfPresent(Bool.self, forKey: .recovering) ?? false
        func pending() throws -> GroupState.Pending {
            let requested = try c.decodeIfPresent(Bool.self, forKey: .startRequested) ?? false
            return GroupState.Pending(
                recovering: recovering ? GroupState.Recovering(avoid: try c.decodeIfPresent(NodeID.self, forKey: .avoid)) : nil,
                request: requested ? GroupState.StartRequest(target: try c.decodeIfPresent(NodeID.self, forKey: .requestedTarget)) : nil,
                preemptedFor: try c.decodeIfPresent(GroupID.self, forKey: .preemptedFor))
        }
        switch status {
        case .offline: return .offline(try pending())
        case .starting(let n):
            let counted = try c.decodeIfPresent(Timestamp.self, forKey: .failoverCountedAt) != nil
            return .starting(n, counted ? .failover : recovering ? .recovery : .start)
        case .online(let n): return .online(n, moveFloor: try c.decodeIfPresent(MoveMethod.self, forKey: .moveFloor))
        case .restarting(let n, let r): return .restarting(n, r, recovering: recovering)
        case .stopping(let n, let then): return .stopping(n, then: then, try pending())
        case .migrating(let a, let b, let m):
            return .migrating(from: a, to: b, m, failedOnSource: try c.decodeIfPresent(ResourceID.self, forKey: .failedDuringMove))
        case .failed: return .failed
        case .stopped: return .stopped(on: nil)  // never written in this shape; kept for exhaustiveness
        case .diskLocked(let h, let t): return .diskLocked(holder: h, retryAt: t, recovering: recovering)
        }
    }
}
