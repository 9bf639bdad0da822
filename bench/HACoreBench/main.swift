import BenchSupport
import Foundation
import HACore
import HASimulator

// Decision time and memory of the HA core at scale, with the same scenarios on a baseline cluster
// (100 nodes x 5,000 VMs) measured in the same run for the ratio column; the table on the terminal
// and in bench/results/hacore.json. Run from the repository: swift run -c release HACoreBench

let repository = FileManager.default.currentDirectoryPath
guard FileManager.default.fileExists(atPath: repository + "/Package.swift") else {
    FileHandle.standardError.write(Data("HACoreBench: run it from the repository (no Package.swift in \(repository)); it writes bench/results/hacore.json there\n".utf8))
    exit(2)
}
let loadBefore = BenchMachine.loadAverage()

struct Row {
    let scenario: String
    let size: String
    let time: Double
    let detail: String
    let rss: Double
    /// The baseline cluster's time for the same scenario (large-cluster rows only).
    var baseline: Double? = nil

    var ratio: Double? { baseline.map { time / max($0, 1e-9) } }
}

var rows: [Row] = []

/// Runs every coordinator scenario on one cluster size and returns the rows (in a fixed order).
func coordinatorRows(nodes: Int, vms: Int) -> [Row] {
    let size = "\(nodes) x \(vms)"
    var out: [Row] = []
    let cluster = BenchCluster(nodes: nodes, vms: vms)

    var cold = ClusterCoordinator(nodes: cluster.nodes, groups: cluster.groups)
    var started = 0
    let tStart = seconds { started = cold.handle(.timerFired, at: .zero).count }
    out.append(Row(scenario: "initial placement", size: size, time: tStart, detail: "\(started) groups placed", rss: peakRSSMiB()))

    var c = cluster.runningCoordinator()
    let victim = cluster.nodes[nodes / 2].id
    let now = Timestamp(milliseconds: 1_000_000)
    _ = c.handle(.leaseLost(victim), at: now)
    var moved: [Directive] = []
    let tFence = seconds { moved = c.handle(.nodeFenced(victim), at: now + .seconds(3)) }
    let placed = moved.filter { if case .bringOnline = $0.action { true } else { false } }.count
    out.append(Row(scenario: "node failure: place its groups", size: size, time: tFence, detail: "\(placed) groups, 1 decision", rss: peakRSSMiB()))
    var events = 0
    let tConfirm = seconds { events = confirmAll(moved, &c, at: now + .seconds(5)) }
    out.append(Row(scenario: "node failure: confirmations", size: size, time: tConfirm / Double(max(events, 1)), detail: "per event, \(events) events", rss: peakRSSMiB()))

    var d = cluster.runningCoordinator()
    let drained = cluster.nodes[nodes / 3].id
    var first: [Directive] = []
    let tDrain = seconds { first = d.handle(.drainRequested(drained), at: now) }
    out.append(Row(scenario: "drain: first decision", size: size, time: tDrain, detail: "\(first.count) moves started", rss: peakRSSMiB()))
    var drainEvents = 0
    let tAll = seconds { drainEvents = confirmAll(first, &d, at: now + .seconds(10)) }
    let paused = d.nodes[drained]!.state == .paused
    out.append(Row(scenario: "drain: whole drain", size: size, time: tAll, detail: "\(drainEvents) moves, node \(paused ? "paused" : "NOT paused")", rss: peakRSSMiB()))

    let plan = d.capacityPlanner
    var fits = false
    let tPlan = seconds { fits = plan.lossTolerance(count: 1, limit: 20).survives }
    out.append(Row(scenario: "N+1 check (20 node sets)", size: size, time: tPlan / 20, detail: "per set, survives: \(fits)", rss: peakRSSMiB()))

    var bytes = 0
    let tEncode = seconds { bytes = (try? JSONEncoder().encode(d.snapshot))?.count ?? -1 }
    out.append(Row(scenario: "stored state (snapshot): encode as JSON", size: size, time: tEncode,
                   detail: "\(format2(Double(bytes) / 1_048_576)) MiB of JSON", rss: peakRSSMiB()))
    return out
}

let baseline = coordinatorRows(nodes: 100, vms: 5_000)
let large = coordinatorRows(nodes: 1_000, vms: 50_000)
for (b, var l) in zip(baseline, large) {
    rows.append(b)
    l.baseline = b.time
    rows.append(l)
}

// Simulator throughput: random fault schedules (seeded, with settling and all invariant checks).
let schedules = 500
var steps = 0
var violations = 0
let tSim = seconds {
    for seed in 1...UInt64(schedules) {
        var sim = try! Simulation(RandomScenario.make(seed: seed), logging: false, settleTime: .minutes(15))
        let r = sim.run()
        steps += r.steps
        violations += r.violations.count
    }
}
rows.append(Row(scenario: "simulator: random schedules", size: "\(schedules) schedules", time: tSim,
                detail: "\(format2(Double(schedules) / tSim)) schedules/s, \(steps) steps, \(violations) violations", rss: peakRSSMiB()))

print("HACore benchmark (ratio: large cluster against the 100 x 5,000 baseline in this run)")
print(pad("scenario", 42) + pad("nodes x VMs", 18) + pad("time", 12) + pad("ratio", 10) + pad("peak RSS", 12) + "detail")
for r in rows {
    print(pad(r.scenario, 42) + pad(r.size, 18) + pad(format(r.time), 12) + pad(r.ratio.map { format2($0) + "x" } ?? "", 10) + pad(format2(r.rss) + " MiB", 12) + r.detail)
}

#if DEBUG
let build = "debug"
#else
let build = "release"
#endif
let result: [String: Any] = [
    "setup": ["build": build, "baseline": baseline[0].size, "large": large[0].size, "ratio": "large-cluster time / baseline time, same scenario, same run",
              "peak_rss_mib": "this process's peak resident memory so far (rows run in the order listed)"],
    "rows": rows.map { r -> [String: Any] in
        var row: [String: Any] = ["scenario": r.scenario, "size": r.size, "seconds": r.time, "peak_rss_mib": r.rss, "detail": r.detail]
        if let b = r.baseline, let ratio = r.ratio { row["baseline_seconds"] = b; row["ratio"] = ratio }
        return row
    },
]
let machine = BenchMachine.facts(accelerator: .device(), load: [loadBefore, BenchMachine.loadAverage()])
do {
    print("wrote " + (try BenchResults.write(result, name: "hacore", machine: machine, repository: repository)))
} catch {
    FileHandle.standardError.write(Data("HACoreBench: cannot write bench/results/hacore.json: \(error)\n".utf8))
    exit(1)
}
