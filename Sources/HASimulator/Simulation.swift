import HACore

/// What a simulation run produced.
public struct SimulationResult: Sendable {
    /// The decision log (empty unless logging was asked for).
    public var log: [String]
    public var violations: [String]
    public var steps: Int
    public var coordinator: ClusterCoordinator
}

/// Runs a `ClusterCoordinator` against simulated hosts, a simulated hypervisor and a simulated
/// store, following a scenario's fault schedule, checking the invariants after every step.
public struct Simulation {
    enum Item {
        case fault(Fault)
        case deliver(ClusterEvent)
        case execute(Directive.Action, NodeID, epoch: Int)
        case leaseExpiry(NodeID, leaseEpoch: Int)
        case selfFence(NodeID, epoch: Int)
        case vmCrash(String, NodeID, epoch: Int)
        case localRestart(String, NodeID, epoch: Int, groupEpoch: Int)
        case fenceDone(NodeID)
        /// The node's agent compares what runs there with the coordinator's stored view (after a rejoin).
        /// (`first`: the pass right after the rejoin; later passes only repeat reports of groups running there.)
        case agentReconcile(NodeID, first: Bool)
        /// Peers have not heard the node since it went silent under lease `leaseEpoch`.
        case peerSilence(NodeID, leaseEpoch: Int)
        case settle
    }

    let scenario: Scenario
    var coordinator: ClusterCoordinator
    var world: World
    var checker: InvariantChecker
    var queue = EventQueue<Item>()
    var now = Timestamp.zero
    var log: [String] = []
    var storeBuffer: [ClusterEvent] = []
    /// Per group and node: when the agent finishes what it was already asked to do.
    var agentBusyUntil: [String: Timestamp] = [:]
    let logging: Bool
    /// How long after the scripted part the cluster gets to settle (with every fault healed) before
    /// liveness is checked; nil runs the script only.
    let settleTime: TimeSpan?

    /// A simulation of `scenario`; `settleTime` overrides the scenario's own `settle`.

    public init(_ scenario: Scenario, logging: Bool = true, settleTime: TimeSpan? = nil,
                coordinator: ClusterCoordinator? = nil) throws {
        self.scenario = scenario
        let groups = try scenario.groups.map { try $0.definition() }
        self.coordinator = coordinator ?? ClusterCoordinator(configuration: scenario.coordinator, nodes: scenario.nodes, groups: groups)
        self.world = World(nodes: scenario.nodes, groups: groups)
        self.checker = InvariantChecker(groups: groups, selfFenceDelay: scenario.world.selfFenceDelay)
        self.checker.strictAntiAffinity = scenario.coordinator.placement.strictAntiAffinity
        self.logging = logging
        self.settleTime = settleTime ?? scenario.settle
    }

    /// Runs the whole scenario and returns the log and any invariant violations.
    public mutating func run() -> SimulationResult {
        for f in scenario.schedule where f.at <= scenario.runUntil { queue.push(.fault(f.fault), at: f.at) }
        queue.push(.deliver(.timerFired), at: .zero)
        let end = scenario.runUntil + (settleTime ?? .zero)
        if settleTime != nil { queue.push(.settle, at: scenario.runUntil) }
        var steps = 0
        while let (t, item) = queue.pop(), t <= end {
            now = t
            steps += 1
            step(item)
            checker.afterStep(world: world, at: now)
        }
        now = end
        if settleTime != nil { checker.atEnd(world: world, coordinator: coordinator, at: now) }
        for v in checker.violations { note("VIOLATION", v) }
        return SimulationResult(log: log, violations: checker.violations, steps: steps, coordinator: coordinator)
    }

    mutating func note(_ kind: String, _ text: @autoclosure () -> String) {
        guard logging else { return }
        let t = now.description
        log.append(String(repeating: " ", count: max(0, 10 - t.count)) + t + "  " + kind + " " + text())
    }

    private mutating func step(_ item: Item) {
        switch item {
        case .fault(let f): note("fault", "\(f)"); apply(f)
        case .deliver(let e): deliver(e)
        case .execute(let a, let n, let epoch): execute(a, on: n, epoch: epoch)
        case .leaseExpiry(let n, let le): leaseExpired(n, le)
        case .selfFence(let n, let epoch):
            if world.nodes[n]!.epoch == epoch && world.nodes[n]!.partitioned { selfFence(n) }
        case .vmCrash(let vm, let n, let epoch):
            if world.nodes[n]!.epoch == epoch, world.broken[vm] == n, world.nodes[n]!.running.contains(vm) { crashVM(vm, on: n) }
        case .fenceDone(let n): fenceDone(n)
        case .agentReconcile(let n, let first): agentReconcile(n, first: first)
        case .peerSilence(let n, let le):
            let node = world.nodes[n]!
            if node.leaseEpoch == le, !node.connected, node.leaseLostAt == nil { deliver(.nodeSuspected(n)) }
        case .localRestart(let vm, let n, let epoch, let ge):
            let node = world.nodes[n]!
            if node.alive, !node.agentDead, node.epoch == epoch, node.groupEpoch[world.groupOfVM[vm]!, default: 0] == ge { start(vm, on: n) }
        case .settle: settle()
        }
    }

    /// Sends an event to the coordinator (held while the store is down) and dispatches its directives.
    mutating func deliver(_ event: ClusterEvent) {
        guard world.storeUp else { storeBuffer.append(event); return }
        note("event", "\(event)")
        if case .moveRequested(let g, _) = event { checker.operatorRequest(g) }
        if case .startRefusedLocked(let g, let n) = event { checker.startRefused(g, on: n) }
        if case .nodeJoined(let n, _) = event { world.nodes[n]?.awaitingJoin = false }
        for d in coordinator.handle(event, at: now) {
            note("->", "\(d)")
            checker.onDirective(d, world: world, at: now)
            dispatch(d.action)
        }
    }

    /// A report from a node: delivered after the latency, or held while the node is cut off.
    mutating func report(_ n: NodeID, _ event: ClusterEvent) {
        if world.nodes[n]!.partitioned { world.nodes[n]!.outbox.append(event); return }
        queue.push(.deliver(event), at: now + scenario.world.reportLatency)
    }

    private mutating func dispatch(_ action: Directive.Action) {
        switch action {
        case .bringOnline(_, let n, _, _), .restartResource(_, _, let n), .takeOffline(_, let n, _): send(action, to: n)
        case .liveMigrate(let g, let a, _), .quickMigrate(let g, let a, _):
            world.nodes[a]!.local.moveStarted(g)
            send(action, to: a)
        case .fenceNode(let n): if scenario.world.fenceDevice { queue.push(.fenceDone(n), at: now + scenario.world.fenceDelay) }
        case .waitUntil(let t): queue.push(.deliver(.timerFired), at: t)
        case .markFailed, .raiseAlert: break
        }
    }

    /// How long a node takes to carry out an action.
    private func duration(of action: Directive.Action) -> TimeSpan {
        let w = scenario.world
        switch action {
        case .takeOffline: return w.stopTime
        case .liveMigrate, .quickMigrate: return world.slowMigrations ? w.migrationTime * 10 : w.migrationTime
        default: return w.startTime
        }
    }

    /// The group an action is about, if any.
    private func group(of action: Directive.Action) -> GroupID? {
        switch action {
        case .bringOnline(let g, _, _, _), .takeOffline(let g, _, _), .restartResource(let g, _, _),
             .liveMigrate(let g, _, _), .quickMigrate(let g, _, _), .markFailed(let g): return g
        case .fenceNode, .waitUntil, .raiseAlert: return nil
        }
    }

    /// Hands an action to a node's agent, which works on one group's actions one after the other.
    mutating func send(_ action: Directive.Action, to n: NodeID) {
        let node = world.nodes[n]!
        guard node.alive else { return }
        if node.partitioned { world.nodes[n]!.inbox.append(action); return }
        let key = "\(group(of: action)?.rawValue ?? "")@\(n)"
        let done = max(now, agentBusyUntil[key] ?? now) + duration(of: action)
        agentBusyUntil[key] = done
        queue.push(.execute(action, n, epoch: node.epoch), at: done)
    }
}
