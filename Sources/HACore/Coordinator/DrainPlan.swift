/// What a drain of a node would do now (`vigil node drain --dry-run`): per group its target, method
/// and estimated time, or why it cannot move; the whole drain's estimate at the move budget; and the
/// cluster's N+x now and once the node is drained.
public struct DrainPlan: Hashable, Sendable {
    /// One group's part of the drain.
    public struct Move: Hashable, Sendable {
        public let group: GroupID
        public let memoryMiB: Int
        /// Where it would go (nil: it cannot move now, see `reason`).
        public let target: NodeID?
        /// The first rung it would try.
        public let method: MoveMethod?
        /// From the rate measured on earlier moves of that method (nil: none measured yet).
        public let estimate: TimeSpan?
        /// Why it goes there, or why it cannot move.
        public let reason: String
    }

    public let node: NodeID
    /// In the order the drain moves them (priority, then name).
    public let moves: [Move]
    /// The whole drain, moves running `concurrency` at a time (nil: some estimate is unknown).
    public let estimatedTotal: TimeSpan?
    public let concurrency: Int
    /// How many node failures the cluster survives now, and once the node is drained (paused).
    public let toleratesNow: Int
    public let toleratesAfter: Int
    /// Why the node cannot be drained at all (nil: it can).
    public let refusal: String?
}

extension ClusterCoordinator {
    /// Plans a drain of `n` as `drain` would carry it out now, without changing anything; `rates` are
    /// the speeds measured on earlier moves, per method. N+x is searched up to `failuresChecked` nodes.
    public func drainPlan(of n: NodeID, rates: [MoveMethod: MoveRate], failuresChecked: Int = 3) -> DrainPlan {
        let concurrency = min(configuration.maxConcurrentMovesPerDrain, configuration.maxConcurrentMovesPerCluster)
        let planner = capacityPlanner
        let now = planner.toleratedFailures(maximum: failuresChecked)
        guard let node = nodes[n] else {
            return DrainPlan(node: n, moves: [], estimatedTotal: nil, concurrency: concurrency, toleratesNow: now, toleratesAfter: now,
                             refusal: "no node named \(n)")
        }
        let refusal = [.up, .paused, .draining].contains(node.state) ? nil : "\(n) is \(node.state.rawValue)"
        var load = survey().load
        var owners = self.owners
        var moves: [DrainPlan.Move] = []
        var incoming: [NodeID: Int] = [:]
        var waves: [TimeSpan?] = []
        var planned = 0
        for def in groupsInOrder {
            guard let s = states[def.id], s.status.nodes.contains(n) else { continue }
            guard case .online(n, let floor) = s.phase else {
                moves.append(.init(group: def.id, memoryMiB: def.memoryMiB, target: nil, method: nil, estimate: nil,
                                   reason: "busy (\(s.status)): the drain waits for it to settle"))
                continue
            }
            // Moves start `concurrency` at a time; within one round they spread over the targets.
            if planned % concurrency == 0 { incoming = [:] }
            let decision = Placement.choose(for: def, in: load, excluding: [n], options: configuration.placement, incoming: incoming)
            guard let target = decision.node else {
                moves.append(.init(group: def.id, memoryMiB: def.memoryMiB, target: nil, method: nil, estimate: nil, reason: decision.reason))
                continue
            }
            load.add(def, to: target)
            incoming[target, default: 0] += 1
            owners[def.id] = target
            let method = def.moveLadder.first { $0 >= floor ?? .live } ?? .cold
            let estimate = rates[method]?.estimate(memoryMiB: def.memoryMiB)
            if planned % concurrency == 0 { waves.append(estimate) } else { waves[waves.count - 1] = Self.both(waves.last!, estimate, max) }
            planned += 1
            moves.append(.init(group: def.id, memoryMiB: def.memoryMiB, target: target, method: method, estimate: estimate, reason: decision.reason))
        }
        var drained = nodes
        drained[n]?.state = .paused
        let after = CapacityPlanner(nodes: drained.values.sorted { $0.id < $1.id }, groups: planner.groups, owners: owners,
                                    options: configuration.placement).toleratedFailures(maximum: failuresChecked)
        let total = waves.reduce(TimeSpan?.some(.zero)) { Self.both($0, $1, +) }
        return DrainPlan(node: n, moves: moves, estimatedTotal: total, concurrency: concurrency, toleratesNow: now, toleratesAfter: after,
                         refusal: refusal)
    }

    /// Both spans combined, or nil if either is unknown.
    private static func both(_ a: TimeSpan?, _ b: TimeSpan?, _ f: (TimeSpan, TimeSpan) -> TimeSpan) -> TimeSpan? {
        guard let a, let b else { return nil }
        return f(a, b)
    }
}
