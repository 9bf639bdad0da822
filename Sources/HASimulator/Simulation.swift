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
/// store, following a scenario's fault schedule, checking the invariants after every step. Every
/// host runs the agent's own `NodeInstance`, and the leader's side maps directives and task reports
/// through `TaskPlanner`, as the agents do.
public struct Simulation {
    enum Item {
        case fault(Fault)
        case deliver(ClusterEvent)
        /// A node's task report reaches the leader.
        case deliverReport(TaskReport)
        /// A node's agent has carried out a task's step (begun under the node's `epoch` and agent `agentEpoch`).
        case performed(AgentTask, NodeID, epoch: Int, agentEpoch: Int)
        /// A timer of a node's agent.
        case agentTimer(NodeTimer, NodeID, agentEpoch: Int)
        case leaseExpiry(NodeID, leaseEpoch: Int)
        case selfFence(NodeID, epoch: Int)
        case vmCrash(String, NodeID, epoch: Int)
        case fenceDone(NodeID)
        /// Peers have not heard the node since it went silent under lease `leaseEpoch`.
        case peerSilence(NodeID, leaseEpoch: Int)
        case settle
    }

    let scenario: Scenario
    var coordinator: ClusterCoordinator
    var world: World
    /// Each host's agent, the same `NodeInstance` as on a real host; absent while the agent is dead or the host down.
    var agents: [NodeID: NodeInstance] = [:]
    var checker: InvariantChecker
    var queue = EventQueue<Item>()
    var now = Timestamp.zero
    var log: [String] = []
    /// What reached the leader's inbox while the store was down: handled once it is back.
    var storeBuffer: [Item] = []
    /// Numbers for task ids and store revisions.
    var counter = 0
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
        for n in world.nodes.keys.sorted() { startAgent(n) }
        queue.push(.deliver(.timerFired), at: .zero)
        let end = scenario.runUntil + (settleTime ?? .zero)
        if settleTime != nil { queue.push(.settle, at: scenario.runUntil) }
        var steps = 0
        while let (t, item) = queue.pop(), t <= end {
            now = t
            steps += 1
            step(item)
            // An agent's timer only reads the world and reports (its reports arrive as items of their own).
            if case .agentTimer = item { continue }
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

    mutating func step(_ item: Item) {
        switch item {
        case .fault(let f): note("fault", "\(f)"); apply(f)
        case .deliver(let e): deliver(e)
        case .deliverReport(let r): deliver(r)
        case .performed(let task, let n, let e, let ae): performed(task, on: n, epoch: e, agentEpoch: ae)
        case .agentTimer(let timer, let n, let ae): if world.nodes[n]!.agentEpoch == ae { feedAgent(n, .timerFired(timer)) }
        case .leaseExpiry(let n, let le): leaseExpired(n, le)
        case .selfFence(let n, let epoch):
            if world.nodes[n]!.epoch == epoch && world.nodes[n]!.partitioned { selfFence(n) }
        case .vmCrash(let vm, let n, let epoch):
            if world.nodes[n]!.epoch == epoch, world.broken[vm] == n, world.nodes[n]!.running.contains(vm) { crashVM(vm, on: n) }
        case .fenceDone(let n): fenceDone(n)
        case .peerSilence(let n, let le):
            let node = world.nodes[n]!
            if node.leaseEpoch == le, !node.connected, node.leaseLostAt == nil { deliver(.nodeSuspected(n)) }
        case .settle: settle()
        }
    }

    /// Sends an event to the coordinator (held while the store is down) and dispatches its directives.
    mutating func deliver(_ event: ClusterEvent) {
        guard world.storeUp else { storeBuffer.append(.deliver(event)); return }
        note("event", "\(event)")
        if case .moveRequested(let g, _) = event { checker.operatorRequest(g) }
        if case .startRefusedLocked(let g, let n) = event { checker.startRefused(g, on: n) }
        if case .nodeJoined(let n, _) = event { world.nodes[n]?.awaitingJoin = false }
        for d in coordinator.handle(event, at: now) {
            note("->", "\(d)")
            checker.onDirective(d, world: world, at: now)
            dispatch(d)
        }
        checker.afterDecision(coordinator: coordinator, at: now)
    }

    /// The leader's side of a task report: events for the coordinator, or the next step of a move.
    mutating func deliver(_ report: TaskReport) {
        guard world.storeUp else { storeBuffer.append(.deliverReport(report)); return }
        let plan = TaskPlanner.plan(report) { coordinator.definitions[$0]?.vms.first?.id }
        for e in plan.events { deliver(e) }
        if let next = plan.next {
            note("task", "quick-restore \(next.group) on \(next.node) -- \(next.reason)")
            send(next)
        }
    }

    /// A membership event of a node (its join, peers hearing it again), delivered after the latency.
    mutating func report(_ n: NodeID, _ event: ClusterEvent) {
        queue.push(.deliver(event), at: now + scenario.world.reportLatency)
    }

    /// What the leader shell does with a directive: tasks for the nodes, timers, fence devices.
    private mutating func dispatch(_ d: Directive) {
        counter += 1
        switch TaskPlanner.plan(d, taskID: "t\(counter)") {
        case .tasks(let tasks):
            for task in tasks {
                if task.step.beginsMove { world.abortedMoves.remove(task.group) }
                send(task)
            }
        case .timer(let t): queue.push(.deliver(.timerFired), at: t)
        case .abortMove(let g, _): world.abortedMoves.insert(g)
        case .log:
            if case .fenceNode(let n) = d.action, scenario.world.fenceDevice { queue.push(.fenceDone(n), at: now + scenario.world.fenceDelay) }
        }
    }

    /// Writes a task for its node: its agent sees it at once, or once it is back in touch with the store.
    mutating func send(_ task: AgentTask) {
        let node = world.nodes[task.node]!
        guard node.alive else { return }
        if node.partitioned || agents[task.node] == nil { world.nodes[task.node]!.inbox.append(task); return }
        counter += 1
        feedAgent(task.node, .taskArrived(task, revision: Int64(counter)))
    }
}
