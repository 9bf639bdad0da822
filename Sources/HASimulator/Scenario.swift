import HACore

/// Timing and behaviour of the simulated world (not of the coordinator).
public struct WorldSettings: Hashable, Sendable {
    /// Lease time-to-live: a crashed or cut-off node's lease is lost this long after.
    public var leaseTTL: TimeSpan = .seconds(10)
    /// A cut-off node's watchdog kills its guests at most this long after its lease expired.
    /// The coordinator's fencing margin must be longer for safety; the checker uses this value.
    public var selfFenceDelay: TimeSpan = .seconds(5)
    /// Whether a fence device answers `fenceNode` (else only the margin fences).
    public var fenceDevice = true
    public var fenceDelay: TimeSpan = .seconds(3)
    /// Peers suspect a node this long after its heartbeats stop (crash, cut, dead agent); nil: no peer
    /// heartbeats, only leases.
    public var peerTimeout: TimeSpan?
    /// Latency of a report from a node (or the fence device) to the coordinator.
    public var reportLatency: TimeSpan = .milliseconds(50)
    public var startTime: TimeSpan = .seconds(2)
    public var stopTime: TimeSpan = .seconds(1)
    public var migrationTime: TimeSpan = .seconds(5)
    /// A broken guest crashes this long after each start on its bad node.
    public var brokenCrashDelay: TimeSpan = .seconds(1)
    /// Time between two reconciles of a node's agent (`NodeInstance`) against the coordinator's view.
    public var reconcileInterval: TimeSpan = .seconds(10)
    public init() {}
}

/// A group as a scenario declares it: VMs with demand, optional exclusive storage, and policy.
public struct ScenarioGroup: Hashable, Sendable {
    /// One VM of the group: name and demand.
    public struct VM: Hashable, Sendable {
        public var name: String
        public var memoryMiB: Int
        public var vcpus: Int
        public init(name: String, memoryMiB: Int, vcpus: Int) { self.name = name; self.memoryMiB = memoryMiB; self.vcpus = vcpus }
    }
    public var name: String
    public var vms: [VM]
    public var storage: String?
    public var moveMethods: [MoveMethod] = MoveMethod.allCases
    public var policy = GroupPolicy()
    public init(name: String, vms: [VM]) { self.name = name; self.vms = vms }

    /// The group definition: storage -> configuration -> VM for every VM.
    public func definition() throws -> GroupDefinition {
        var resources: [Resource] = []
        var deps: [ResourceID: Set<ResourceID>] = [:]
        if let s = storage { resources.append(Resource(id: ResourceID(s), kind: .storage(.exclusive))) }
        for vm in vms {
            let config = ResourceID("\(vm.name).config")
            resources.append(Resource(id: config, kind: .vmConfiguration(domainXMLPath: "/shared/\(vm.name).xml")))
            resources.append(.vm(vm.name, memoryMiB: vm.memoryMiB, vcpus: vm.vcpus, moveMethods: moveMethods))
            deps[ResourceID(vm.name)] = storage.map { [config, ResourceID($0)] } ?? [config]
        }
        return try GroupDefinition(id: GroupID(name), resources: resources, dependencies: deps, policy: policy)
    }
}

/// Something that happens to the simulated cluster at a scheduled time: a fault or an operator action.
public enum Fault: Hashable, Sendable {
    case crashNode(NodeID)
    case recoverNode(NodeID)
    case partition(NodeID)
    case heal(NodeID)
    /// Only the node's agent dies (kill -9): no lease renewals, reports or tasks, no self-fence; its
    /// guests run on and hold their disk locks.
    case killAgent(NodeID)
    /// The node's agent starts again and reconciles what runs there with the cluster's view.
    case restartAgent(NodeID)
    case crashVM(String)
    /// The VM crashes shortly after every start on this node until fixed.
    case breakVM(String, on: NodeID)
    case fixVM(String)
    /// The next `count` migrations fail.
    case failMigrations(Int)
    /// The next `count` reports of the node's agent to the leader's inbox get lost (the store's
    /// write fails); the agent sends task reports again, and failures at their next sign.
    case loseReports(NodeID, Int)
    case slowMigrations(Bool)
    case store(up: Bool)
    case drain(NodeID)
    case abortDrain(NodeID)
    case resume(NodeID)
    case move(GroupID, to: NodeID?)
    /// Logs the capacity planner's answer to "can the cluster lose any `count` nodes?" and the headroom.
    case planLoss(Int)
    /// Logs where the groups of these nodes would go if they failed now.
    case whatIf([NodeID])
}

/// A fault at a time.
public struct ScheduledFault: Hashable, Sendable {
    public var at: Timestamp
    public var fault: Fault
    public init(at: Timestamp, _ fault: Fault) { self.at = at; self.fault = fault }
}

/// A whole simulation input: cluster, coordinator settings, world settings and the fault schedule.
public struct Scenario: Hashable, Sendable {
    public var title: String = ""
    public var nodes: [Node] = []
    public var groups: [ScenarioGroup] = []
    public var coordinator = CoordinatorConfiguration()
    public var world = WorldSettings()
    public var schedule: [ScheduledFault] = []
    /// When the scripted part ends.
    public var runUntil: Timestamp = Timestamp(milliseconds: 600_000)
    /// If set, every fault is healed at `runUntil`, the cluster settles this long, and liveness is checked.
    public var settle: TimeSpan?
    public init() {}
}
