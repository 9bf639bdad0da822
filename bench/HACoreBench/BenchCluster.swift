import HACore

/// A synthetic cluster for the benchmark: `nodes` equal hosts and `vms` single-VM groups.
struct BenchCluster {
    let nodes: [Node]
    let groups: [GroupDefinition]

    init(nodes nodeCount: Int, vms: Int) {
        nodes = (0..<nodeCount).map {
            Node(id: NodeID("node\($0)"), capacity: NodeCapacity(memoryMiB: 512 * 1024, vcpus: 256, reservedMemoryMiB: 8192))
        }
        let priorities: [GroupPriority] = [.high, .medium, .low]
        groups = (0..<vms).map { i in
            var policy = GroupPolicy(priority: priorities[i % 3])
            if i % 3 == 0 { policy.preferredOwners = [NodeID("node\(i % nodeCount)"), NodeID("node\((i + 1) % nodeCount)")] }
            if i % 10 == 0 { policy.antiAffinityClasses = ["class\(i % 7)"] }
            return try! GroupDefinition(id: GroupID("vm\(i)"), resources: [
                Resource(id: ResourceID("vm\(i).config"), kind: .vmConfiguration(domainXMLPath: "/shared/vm\(i).xml")),
                .vm("vm\(i)", memoryMiB: [1024, 2048, 4096][i % 3], vcpus: 1 + i % 2),
            ], dependencies: [ResourceID("vm\(i)"): [ResourceID("vm\(i).config")]], policy: policy)
        }
    }

    /// A coordinator with every group online, spread round-robin (as a restored leader would start).
    func runningCoordinator() -> ClusterCoordinator {
        var states: [GroupID: GroupState] = [:]
        for (i, g) in groups.enumerated() {
            let n = nodes[i % nodes.count].id
            states[g.id] = GroupState(phase: .online(n), possibleHosts: [n])
        }
        return ClusterCoordinator(nodes: nodes, groups: groups, states: states)
    }
}

/// Feeds the shell's confirmations for every start or migration until nothing is left to confirm.
func confirmAll(_ directives: [Directive], _ c: inout ClusterCoordinator, at t: Timestamp) -> Int {
    var pending = directives
    var events = 0
    while !pending.isEmpty {
        var next: [Directive] = []
        for d in pending {
            switch d.action {
            case .bringOnline(let g, let n, _, _), .liveMigrate(let g, _, let n), .quickMigrate(let g, _, let n):
                next += c.handle(.groupOnline(g, on: n), at: t)
                events += 1
            default: break
            }
        }
        pending = next
    }
    return events
}
