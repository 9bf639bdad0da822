import HACore

/// Builds a random but reproducible scenario (cluster, policies and fault schedule) from a seed.
public enum RandomScenario {
    /// How long the random faults go on.
    public static let faultWindow = TimeSpan.minutes(20)

    public static func make(seed: UInt64) -> Scenario {
        var rng = SeededGenerator(seed: seed)
        var s = Scenario()
        s.title = "random schedule, seed \(seed)"
        let nodeIDs = (1...Int.random(in: 3...5, using: &rng)).map { NodeID("n\($0)") }
        s.nodes = nodeIDs.map {
            Node(id: $0, capacity: NodeCapacity(memoryMiB: [8192, 16384].randomElement(using: &rng)!,
                                                vcpus: [8, 16].randomElement(using: &rng)!,
                                                reservedMemoryMiB: [0, 512].randomElement(using: &rng)!))
        }
        s.world.leaseTTL = .seconds(Int64.random(in: 5...15, using: &rng))
        s.world.selfFenceDelay = .seconds(Int64.random(in: 2...5, using: &rng))
        s.world.fenceDevice = Bool.random(using: &rng)
        if Bool.random(using: &rng) { s.world.peerTimeout = .seconds(1) }
        s.coordinator = CoordinatorConfiguration(
            fencingMargin: s.world.selfFenceDelay + .seconds(Int64.random(in: 1...10, using: &rng)),
            maxConcurrentMovesPerDrain: Int.random(in: 1...3, using: &rng),
            placement: PlacementOptions(strictAntiAffinity: chance(0.2, &rng)))
        s.groups = (1...Int.random(in: 4...9, using: &rng)).map { group($0, nodes: nodeIDs, &rng) }
        s.schedule = faults(s, nodes: nodeIDs, &rng).sorted { $0.at < $1.at }
        s.runUntil = Timestamp.zero + faultWindow + .minutes(5)
        s.settle = .minutes(15)
        return s
    }

    private static func group(_ i: Int, nodes: [NodeID], _ rng: inout SeededGenerator) -> ScenarioGroup {
        let vms = (1...Int.random(in: 1...2, using: &rng)).map {
            ScenarioGroup.VM(name: "g\(i)vm\($0)", memoryMiB: [512, 1024, 2048, 3072].randomElement(using: &rng)!,
                             vcpus: Int.random(in: 1...2, using: &rng))
        }
        var g = ScenarioGroup(name: "g\(i)", vms: vms)
        if Bool.random(using: &rng) { g.storage = "lun\(i)" }
        var p = GroupPolicy()
        p.priority = chance(0.1, &rng) ? .noAutoStart : [.high, .medium, .low].randomElement(using: &rng)!
        if chance(0.2, &rng) { p.possibleOwners = Set(nodes.shuffled(using: &rng).prefix(Int.random(in: 2...nodes.count, using: &rng))) }
        let allowed = nodes.filter { p.allows($0) }
        p.preferredOwners = Array(allowed.shuffled(using: &rng).prefix(Int.random(in: 0...min(3, allowed.count), using: &rng)))
        p.restart = ThresholdPolicy(threshold: Int.random(in: 1...2, using: &rng), period: .minutes(Int64.random(in: 5...15, using: &rng)))
        p.failover = ThresholdPolicy(threshold: Int.random(in: 1...3, using: &rng), period: .hours(1))
        let fb = Int.random(in: 0..<10, using: &rng)
        p.failback = fb < 5 ? .never : fb < 8 ? .immediately : .window(startHour: 0, endHour: 1)
        if chance(0.3, &rng) { p.antiAffinityClasses = ["aa"] }
        g.policy = p
        if chance(0.2, &rng) { g.moveMethods = Bool.random(using: &rng) ? [.quick, .cold] : [.cold] }
        return g
    }

    private static func faults(_ s: Scenario, nodes: [NodeID], _ rng: inout SeededGenerator) -> [ScheduledFault] {
        var out: [ScheduledFault] = []
        let vms = s.groups.flatMap { $0.vms.map(\.name) }
        func at(_ t: Timestamp, _ f: Fault) { out.append(ScheduledFault(at: t, f)) }
        for _ in 0..<Int.random(in: 4...12, using: &rng) {
            let t = Timestamp(milliseconds: Int64.random(in: 10_000...faultWindow.milliseconds, using: &rng))
            func later(_ lo: Int64, _ hi: Int64) -> Timestamp { t + .seconds(Int64.random(in: lo...hi, using: &rng)) }
            let n = nodes.randomElement(using: &rng)!
            switch Int.random(in: 0..<11, using: &rng) {
            case 0: at(t, .crashNode(n)); if chance(0.8, &rng) { at(later(30, 300), .recoverNode(n)) }
            case 1: at(t, .partition(n)); at(later(2, 180), .heal(n))
            case 2: at(t, .crashVM(vms.randomElement(using: &rng)!))
            case 3:
                let vm = vms.randomElement(using: &rng)!
                at(t, .breakVM(vm, on: n)); at(later(60, 600), .fixVM(vm))
            case 4: at(t, .failMigrations(Int.random(in: 1...3, using: &rng)))
            case 5: at(t, .slowMigrations(true)); at(later(60, 300), .slowMigrations(false))
            case 6: at(t, .store(up: false)); at(later(5, 120), .store(up: true))
            case 8: at(t, .killAgent(n)); if chance(0.9, &rng) { at(later(2, 240), .restartAgent(n)) }
            case 9: at(t, .loseReports(n, Int.random(in: 1...3, using: &rng)))
            case 7:
                at(t, .drain(n))
                if chance(0.3, &rng) { at(later(5, 60), .abortDrain(n)) }
                at(later(120, 600), .resume(n))
            default:
                let g = s.groups.randomElement(using: &rng)!
                at(t, .move(GroupID(g.name), to: Bool.random(using: &rng) ? nodes.randomElement(using: &rng) : nil))
            }
        }
        return out
    }

    private static func chance(_ p: Double, _ rng: inout SeededGenerator) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
}
