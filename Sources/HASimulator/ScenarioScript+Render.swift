import HACore

extension Fault: CustomStringConvertible {
    /// The fault as a script command (what follows `at TIME`).
    public var description: String {
        switch self {
        case .crashNode(let n): return "crash \(n)"
        case .recoverNode(let n): return "recover \(n)"
        case .partition(let n): return "partition \(n)"
        case .heal(let n): return "heal \(n)"
        case .killAgent(let n): return "kill-agent \(n)"
        case .restartAgent(let n): return "restart-agent \(n)"
        case .crashVM(let v): return "crash-vm \(v)"
        case .breakVM(let v, let n): return "break-vm \(v) \(n)"
        case .fixVM(let v): return "fix-vm \(v)"
        case .failMigrations(let k): return "fail-migrations \(k)"
        case .loseReports(let n, let k): return "lose-reports \(n) \(k)"
        case .slowMigrations(let on): return "slow-migrations \(on ? "on" : "off")"
        case .store(let up): return "store \(up ? "up" : "down")"
        case .drain(let n): return "drain \(n)"
        case .abortDrain(let n): return "abort-drain \(n)"
        case .resume(let n): return "resume \(n)"
        case .move(let g, let to): return "move \(g)" + (to.map { " \($0)" } ?? "")
        case .planLoss(let k): return "plan-loss \(k)"
        case .whatIf(let nodes): return "what-if " + nodes.map(\.rawValue).joined(separator: ",")
        }
    }
}

extension ScenarioScript {
    /// Writes a scenario as a script that `parse` reads back to the same scenario (replay of a seed).
    public static func render(_ s: Scenario) -> String {
        let t: (TimeSpan) -> String = { $0.description }
        var lines = ["# \(s.title)"]
        let c = s.coordinator
        lines.append("cluster lease-ttl=\(t(s.world.leaseTTL)) fencing-margin=\(t(c.fencingMargin)) self-fence-delay=\(t(s.world.selfFenceDelay)) max-moves=\(c.maxConcurrentMovesPerDrain) fence-device=\(s.world.fenceDevice ? "yes" : "no") strict-anti-affinity=\(c.placement.strictAntiAffinity ? "yes" : "no") quarantine=\(c.quarantine.text) quarantine-for=\(t(c.quarantineDuration)) peer-timeout=\(s.world.peerTimeout.map(t) ?? "none")")
        for n in s.nodes {
            lines.append("node \(n.id) memory=\(n.capacity.memoryMiB) vcpus=\(n.capacity.vcpus) reserve=\(n.capacity.reservedMemoryMiB)")
        }
        for g in s.groups { lines.append(render(g)) }
        for f in s.schedule { lines.append("at \(t(TimeSpan(milliseconds: f.at.milliseconds))) \(f.fault)") }
        lines.append("run \(t(TimeSpan(milliseconds: s.runUntil.milliseconds)))")
        if let settle = s.settle { lines.append("settle \(settle)") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func render(_ g: ScenarioGroup) -> String {
        let p = g.policy
        var words = ["group", g.name, "vms=" + g.vms.map { "\($0.name):\($0.memoryMiB):\($0.vcpus)" }.joined(separator: ",")]
        if let s = g.storage { words.append("storage=\(s)") }
        words.append("priority=\(p.priority.rawValue)")
        if !p.preferredOwners.isEmpty { words.append("preferred=" + p.preferredOwners.map(\.rawValue).joined(separator: ",")) }
        if !p.possibleOwners.isEmpty { words.append("possible=" + p.possibleOwners.map(\.rawValue).sorted().joined(separator: ",")) }
        words.append("restart=\(p.restart.threshold)/\(p.restart.period)")
        words.append("failover=\(p.failover.threshold)/\(p.failover.period)")
        switch p.failback {
        case .never: break
        case .immediately: words.append("failback=immediately")
        case .window(let a, let b): words.append("failback=window:\(a)-\(b)")
        }
        if !p.antiAffinityClasses.isEmpty { words.append("anti-affinity=" + p.antiAffinityClasses.sorted().joined(separator: ",")) }
        if g.moveMethods != MoveMethod.allCases { words.append("moves=" + g.moveMethods.map(\.rawValue).joined(separator: ",")) }
        return words.joined(separator: " ")
    }
}
