import HACore

/// Why a scenario script could not be read.
public struct ScenarioScriptError: Error, CustomStringConvertible {
    public let line: Int
    public let message: String
    public var description: String { "scenario line \(line): \(message)" }
}

/// Reads and writes the scenario script language (one command per line, `#` comments):
///
///     cluster lease-ttl=10s fencing-margin=15s self-fence-delay=5s max-moves=2 fence-device=yes
///             quarantine=3/1h quarantine-for=2h
///     node n1 memory=8192 vcpus=8 reserve=512
///     group web vms=web1:2048:2,web2:1024:1 storage=lun1 priority=high preferred=n1,n2
///           possible=n1,n2 restart=1/15m failover=2/6h failback=window:1-5 anti-affinity=sql moves=live,cold
///     at 1m crash n1 | recover n1 | partition n1 | heal n1 | kill-agent n1 | restart-agent n1 | crash-vm web1 | break-vm web1 n1 | fix-vm web1
///        | fail-migrations 2 | lose-reports n1 2 | slow-migrations on | store down | drain n1 | abort-drain n1 | resume n1 | move web [n2]
///        | plan-loss 1 | what-if n1,n2
///     run 10m
///     settle 15m      (optional: heal everything, settle, then check that every group that fits runs)
public enum ScenarioScript {
    public static func parse(_ text: String) throws -> Scenario {
        var scenario = Scenario()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw).trimmingCharacters()
            if line.hasPrefix("# ") && scenario.title.isEmpty && index == 0 { scenario.title = String(line.dropFirst(2)) }
            if line.isEmpty || line.hasPrefix("#") { continue }
            do { try apply(line.split(separator: " ").map(String.init), to: &scenario) } catch let e as ParseFailure {
                throw ScenarioScriptError(line: index + 1, message: e.message)
            }
        }
        return scenario
    }

    struct ParseFailure: Error { let message: String }

    private static func apply(_ words: [String], to s: inout Scenario) throws {
        let keyed = ["cluster": 1, "node": 2, "group": 2]
        let opts = try keyed[words[0]].map { try options(words.dropFirst($0)) } ?? [:]
        switch words[0] {
        case "cluster":
            if let v = opts["lease-ttl"] { s.world.leaseTTL = try span(v) }
            if let v = opts["fencing-margin"] { s.coordinator.fencingMargin = try span(v) }
            if let v = opts["self-fence-delay"] { s.world.selfFenceDelay = try span(v) }
            if let v = opts["max-moves"] { s.coordinator.maxConcurrentMovesPerDrain = try int(v) }
            if let v = opts["quarantine"] { s.coordinator.quarantine = try threshold(v) }
            if let v = opts["quarantine-for"] { s.coordinator.quarantineDuration = try span(v) }
            if let v = opts["fence-device"] { s.world.fenceDevice = v == "yes" }
            if let v = opts["peer-timeout"] { s.world.peerTimeout = v == "none" ? nil : try span(v) }
            if let v = opts["strict-anti-affinity"] { s.coordinator.placement.strictAntiAffinity = v == "yes" }
        case "node":
            try need(words, 2)
            let cap = NodeCapacity(memoryMiB: try int(opts["memory"] ?? "8192"), vcpus: try int(opts["vcpus"] ?? "8"),
                                   reservedMemoryMiB: try int(opts["reserve"] ?? "0"))
            s.nodes.append(Node(id: NodeID(words[1]), capacity: cap))
        case "group":
            try need(words, 2)
            s.groups.append(try group(words[1], opts))
        case "at":
            try need(words, 3)
            s.schedule.append(ScheduledFault(at: Timestamp(milliseconds: try span(words[1]).milliseconds),
                                             try fault(Array(words.dropFirst(2)))))
        case "run":
            try need(words, 2)
            s.runUntil = Timestamp(milliseconds: try span(words[1]).milliseconds)
        case "settle":
            try need(words, 2)
            s.settle = try span(words[1])
        default: throw ParseFailure(message: "unknown command \(words[0])")
        }
    }

    private static func group(_ name: String, _ o: [String: String]) throws -> ScenarioGroup {
        let vms = try (o["vms"] ?? "\(name)1:1024:1").split(separator: ",").map { spec -> ScenarioGroup.VM in
            let p = spec.split(separator: ":").map(String.init)
            guard p.count == 3 else { throw ParseFailure(message: "VM spec \(spec) is not name:memoryMiB:vcpus") }
            return ScenarioGroup.VM(name: p[0], memoryMiB: try int(p[1]), vcpus: try int(p[2]))
        }
        var g = ScenarioGroup(name: name, vms: vms)
        g.storage = o["storage"]
        if let m = o["moves"] { g.moveMethods = try list(m).map { try enumValue(MoveMethod(rawValue: $0), $0) } }
        if let v = o["priority"] { g.policy.priority = try enumValue(GroupPriority(rawValue: v), v) }
        if let v = o["preferred"] { g.policy.preferredOwners = list(v).map { NodeID($0) } }
        if let v = o["possible"] { g.policy.possibleOwners = Set(list(v).map { NodeID($0) }) }
        if let v = o["restart"] { g.policy.restart = try threshold(v) }
        if let v = o["failover"] { g.policy.failover = try threshold(v) }
        if let v = o["anti-affinity"] { g.policy.antiAffinityClasses = Set(list(v)) }
        if let v = o["failback"] { g.policy.failback = try policyText { () throws(PolicyTextError) in try FailbackPolicy(text: v) } }
        return g
    }

    private static func fault(_ w: [String]) throws -> Fault {
        func arg(_ i: Int) throws -> String {
            guard i < w.count else { throw ParseFailure(message: "\(w[0]) needs more arguments") }
            return w[i]
        }
        switch w[0] {
        case "crash": return .crashNode(NodeID(try arg(1)))
        case "recover": return .recoverNode(NodeID(try arg(1)))
        case "partition": return .partition(NodeID(try arg(1)))
        case "heal": return .heal(NodeID(try arg(1)))
        case "kill-agent": return .killAgent(NodeID(try arg(1)))
        case "restart-agent": return .restartAgent(NodeID(try arg(1)))
        case "crash-vm": return .crashVM(try arg(1))
        case "break-vm": return .breakVM(try arg(1), on: NodeID(try arg(2)))
        case "fix-vm": return .fixVM(try arg(1))
        case "fail-migrations": return .failMigrations(try int(try arg(1)))
        case "lose-reports": return .loseReports(NodeID(try arg(1)), try int(try arg(2)))
        case "slow-migrations": return .slowMigrations(try arg(1) == "on")
        case "store": return .store(up: try arg(1) == "up")
        case "drain": return .drain(NodeID(try arg(1)))
        case "abort-drain": return .abortDrain(NodeID(try arg(1)))
        case "resume": return .resume(NodeID(try arg(1)))
        case "move": return .move(GroupID(try arg(1)), to: w.count > 2 ? NodeID(w[2]) : nil)
        case "plan-loss": return .planLoss(try int(try arg(1)))
        case "what-if": return .whatIf(list(try arg(1)).map { NodeID($0) })
        default: throw ParseFailure(message: "unknown fault \(w[0])")
        }
    }

    private static func options(_ words: ArraySlice<String>) throws -> [String: String] {
        var result: [String: String] = [:]
        for w in words {
            let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw ParseFailure(message: "expected key=value, got \(w)") }
            result[kv[0]] = kv[1]
        }
        return result
    }

    private static func need(_ w: [String], _ n: Int) throws {
        if w.count < n { throw ParseFailure(message: "\(w[0]) needs \(n - 1) argument(s)") }
    }
    private static func list(_ v: String) -> [String] { v.split(separator: ",").map(String.init) }
    private static func int(_ v: String) throws -> Int {
        guard let i = Int(v) else { throw ParseFailure(message: "not a number: \(v)") }
        return i
    }
    private static func enumValue<T>(_ v: T?, _ raw: String) throws -> T {
        guard let v else { throw ParseFailure(message: "unknown value \(raw)") }
        return v
    }
    private static func threshold(_ v: String) throws -> ThresholdPolicy {
        try policyText { () throws(PolicyTextError) in try ThresholdPolicy(text: v) }
    }

    /// Parses `500ms`, `10s`, `2m`, `1h`, `1m30s`.
    static func span(_ v: String) throws -> TimeSpan {
        try policyText { () throws(PolicyTextError) in try TimeSpan(text: v) }
    }

    private static func policyText<T>(_ parse: () throws(PolicyTextError) -> T) throws -> T {
        do { return try parse() } catch { throw ParseFailure(message: error.description) }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
