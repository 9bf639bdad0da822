import HACore

/// One simulated hypervisor host: alive or not, cut off or not, and the guests it really runs (its
/// agent's `NodeInstance` is in `Simulation.agents`).
struct SimNode {
    let capacity: NodeCapacity
    var alive = true
    var partitioned = false
    /// Bumped whenever the node loses its guests (crash, watchdog, power-off): stale work is dropped.
    var epoch = 0
    /// Bumped whenever the node renews its lease after a cut; pending expiries of older leases are void.
    var leaseEpoch = 0
    var leaseLostAt: Timestamp?
    /// When each of the node's leases (by `leaseEpoch`) was lost.
    var leaseLosses: [Int: Timestamp] = [:]
    var selfFenced = false
    /// Only the agent is dead (kill -9): the node is cut off from the store as if partitioned, but
    /// nothing fences it and its guests run on.
    var agentDead = false
    /// The agent rejoined after a lease loss, but the cluster has not seen its join yet.
    var awaitingJoin = false
    /// The cluster cannot know this node's agent runs its guests (dead, or back but not yet heard from).
    var unseen: Bool { agentDead || awaitingJoin }
    var rejoinPending = false
    /// When the fence device last confirmed this node runs nothing.
    var fenceConfirmedAt: Timestamp?
    /// Leases (by `leaseEpoch`) under which a fence device powered the node off: what ran then is gone.
    var fencedLeases: Set<Int> = []
    /// VM names running here.
    var running: Set<String> = []
    /// Bumped whenever the agent's process ends (kill, crash, power-off): its work under way is dropped.
    var agentEpoch = 0
    /// Reports of the agent to the leader's inbox still to be lost (`loseReports`).
    var reportsToLose = 0
    /// Tasks written for the node while it was cut off from the store: it sees them when it is back.
    var inbox: [AgentTask] = []

    var connected: Bool { alive && !partitioned }

    /// The node loses every guest (crash, watchdog or power-off).
    mutating func killGuests() {
        running.removeAll()
        epoch += 1
        inbox.removeAll()
    }


}

/// The simulated world: hosts, guests, the store's availability, and injected migration trouble.
struct World {
    var nodes: [NodeID: SimNode]
    /// VM name -> its group.
    let groupOfVM: [String: GroupID]
    /// Group -> its VM names and definition.
    let groups: [GroupID: GroupDefinition]
    var broken: [String: NodeID] = [:]
    var failMigrationsLeft = 0
    var slowMigrations = false
    /// Groups whose live migration the leader asked to abort (a new move of the group clears it).
    var abortedMoves: Set<GroupID> = []
    var storeUp = true

    init(nodes: [Node], groups: [GroupDefinition]) {
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, SimNode(capacity: $0.capacity)) })
        self.groups = Dictionary(uniqueKeysWithValues: groups.map { ($0.id, $0) })
        var map: [String: GroupID] = [:]
        for g in groups { for vm in g.vms { map[vm.id.rawValue] = g.id } }
        self.groupOfVM = map
    }

    func vmNames(_ g: GroupID) -> [String] { groups[g]!.vms.map(\.id.rawValue) }

    /// The group's guests leave node `n` (stopped, saved or migrated away).
    mutating func leave(_ g: GroupID, _ n: NodeID) {
        for vm in vmNames(g) { nodes[n]!.running.remove(vm) }
    }

    /// Nodes (alive, possibly cut off) on which `vm` runs.
    func hosts(of vm: String) -> [NodeID] {
        nodes.keys.sorted().filter { nodes[$0]!.alive && nodes[$0]!.running.contains(vm) }
    }

    /// Memory in use by guests on a node.
    func usedMemory(_ n: NodeID) -> (memory: Int, vcpus: Int) {
        var m = 0, c = 0
        for vm in nodes[n]!.running {
            let r = groups[groupOfVM[vm]!]!.resources.first { $0.id.rawValue == vm }!
            m += r.memoryMiB
            c += r.vcpus
        }
        return (m, c)
    }
}
