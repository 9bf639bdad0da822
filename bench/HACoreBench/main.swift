import Foundation
import HACore
import HASimulator

// Decision time and memory of the HA core at scale, with the same scenarios on a baseline cluster
// (100 nodes x 5,000 VMs) measured in the same run for the ratio column. Run: swift run -c release HACoreBench

struct Row {
    let scenario: String
    let size: String
    let time: Double
    let detail: String
    let rss: Double
    var ratio = ""
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
    l.ratio = format2(l.time / max(b.time, 1e-9)) + "x"
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
print(pad("scenario", 34) + pad("nodes x VMs", 18) + pad("time", 12) + pad("ratio", 10) + pad("peak RSS", 12) + "detail")
for r in rows {
    print(pad(r.scenario, 34) + pad(r.size, 18) + pad(format(r.time), 12) + pad(r.ratio, 10) + pad(format2(r.rss) + " MiB", 12) + r.detail)
}
