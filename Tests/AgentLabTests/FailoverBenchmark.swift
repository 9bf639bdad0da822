import AgentAPI
import BenchSupport
import Blocking
import Foundation
import LabSupport
import Libvirt
import XCTest

/// `make bench`: host power-off with every guest of the lab on the lost host, several runs, measured
/// from outside the agents, against the lab's floor measured in the same run: the same guests started
/// elsewhere with plain libvirt calls (define + start, as `virsh start` does) as soon as the kill
/// returns. Writes bench/results/failover.json (bench/results/failover-lease.json for the lease path).
/// Not a test: it asserts nothing about times and is skipped (saying so) unless VIGIL_BENCH=1.
///
/// VIGIL_BENCH_RUNS (5), VIGIL_BENCH_GUESTS (10), VIGIL_BENCH_PATH: `fence` (default: a lab fence device
/// per host) or `lease` (no fence device, the emulated watchdog, the lost host made etcd's leader first;
/// VIGIL_BENCH_TTL sets the lease, 3 s by default, renewed every 0.5 s).
extension AgentLabTests {
    func testFailoverBenchmark() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["VIGIL_BENCH"] == "1" else {
            throw XCTSkip("the failover benchmark runs under `make bench` (VIGIL_BENCH=1), not as part of the tests")
        }
        let setup = BenchSetup(environment)
        let loadBefore = BenchMachine.loadAverage()
        try await withCluster(fenceDevices: setup.leasePath ? false : true, watchdogSeconds: setup.leasePath ? 3 : nil,
                              agents: setup.agents) { c in
            let vms = (1...setup.guests).map { "bench\($0)" }
            try await c.addOnline(vms, failover: "100/1h")  // every run fails guests over: no budget runs out
            let hosts = c.lab.hosts.map(\.name)
            var runs: [BenchRun] = []
            for run in 1...setup.runs {
                let victim = hosts[(run - 1) % hosts.count]
                try await c.gather(vms, on: victim)
                if setup.leasePath {
                    try await c.lab.moveEtcdLeader(to: victim)
                    try await c.waitUntil("etcd led by \(victim)", timeout: 10) { try await c.lab.etcdLeader() == victim }
                }
                let etcdLeader = try? await c.lab.etcdLeader()
                let vigilLeader = try? await c.status(via: victim).leader
                let offsets = c.logOffsets()
                let (watch, loss) = try await c.powerOff(victim, watching: vms)
                let r = await c.measureRecovery(of: victim, guests: vms, lostAt: loss, logsFrom: offsets)
                let duplicates = await watch.stop()
                XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once (run \(run))")
                let result = BenchRun(victim: victim, guests: vms.count, heldEtcdLeader: etcdLeader == victim,
                                      heldVigilLeader: vigilLeader == victim, recovery: r)
                print("run \(run): " + result.line)
                runs.append(result)
                try await c.lab.start(victim)
                try await c.startAgent(on: victim)
                try await c.waitUntil("\(victim) a member again, every guest online", timeout: 120) {
                    let s = try await c.status(via: hosts.first { $0 != victim }!)
                    return s.nodes.first { $0.name == victim }?.member == true && vms.allSatisfy { vm in s.groups.first { $0.name == vm }?.status == "online" }
                }
            }
            let floor = try await measureFloor(c, vms, victim: hosts[setup.runs % hosts.count])
            try BenchReport(setup: setup, runs: runs, floor: floor, load: [loadBefore, BenchMachine.loadAverage()])
                .write(c)
        }
    }

    /// The floor: no agent; every guest on `victim`, the host killed and its guests started on the
    /// survivors right away (round robin), all at once.
    private func measureFloor(_ c: AgentCluster, _ vms: [String], victim: String) async throws -> Recovery {
        try await c.gather(vms, on: victim)
        for h in c.lab.hosts.map(\.name) { await c.stopAgent(on: h) }
        let survivors = c.lab.hosts.filter { $0.name != victim }
        let xml = try vms.map { vm -> String in
            let dir = c.lab.sharedStorage + "/vms/" + vm
            let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".xml") })
            return try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
        }
        // A loaded machine (other builds beside the lab) may take minutes to boot 10 TCG guests.
        for vm in vms { _ = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1, timeout: 300) }
        let loss = Date()
        try await c.kill(victim)
        let offsets = c.logOffsets()
        let starter = Task.detached {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, vm) in vms.enumerated() {
                    let uri = survivors[i % survivors.count].uri
                    let definition = xml[i]
                    group.addTask {
                        try await BlockingCall.run("bench-floor") {
                            let connection = try Connection(uri: uri)
                            _ = try connection.define(xml: definition)
                            try connection.lookup(name: vm).create()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let floor = await c.measureRecovery(of: victim, guests: vms, lostAt: loss, logsFrom: offsets)
        try await starter.value
        print(String(format: "floor: %@ off with %d guests, started elsewhere at once: all running %.2f s, all beating %.2f s",
                     victim, vms.count, floor.allRunning ?? -1, floor.allBeating ?? -1))
        return floor
    }
}

extension AgentCluster {
    /// Moves every guest that runs elsewhere to `host` (live migration, through the API) and waits until
    /// all of them run there and are online.
    func gather(_ vms: [String], on host: String) async throws {
        for vm in vms where runningHosts(of: vm) != [host] {
            let (status, body) = try await call(host, .POST, AgentAPI.move(vm), body: try JSONEncoder().encode(MoveRequest(to: host)))
            guard (200..<300).contains(status) else {
                throw LabError.commandFailed(arguments: ["move", vm, "to", host], status: Int32(status), message: String(decoding: body, as: UTF8.self))
            }
        }
        try await waitUntil("\(vms.count) guests gathered on \(host)", timeout: 180) {
            let s = try await self.status(via: host)
            return vms.allSatisfy { vm in self.runningHosts(of: vm) == [host] && s.groups.first { $0.name == vm }?.status == "online" }
        }
    }
}

/// What one benchmark measures and how (from the environment).
struct BenchSetup {
    var runs: Int
    var guests: Int
    var leasePath: Bool
    var agents: LabAgentSettings

    init(_ environment: [String: String]) {
        runs = Int(environment["VIGIL_BENCH_RUNS"] ?? "") ?? 5
        guests = Int(environment["VIGIL_BENCH_GUESTS"] ?? "") ?? 10
        leasePath = environment["VIGIL_BENCH_PATH"] == "lease"
        agents = leasePath ? LabAgentSettings(ttlSeconds: Int(environment["VIGIL_BENCH_TTL"] ?? "") ?? 3, keepAliveSeconds: 0.5) : LabAgentSettings()
        agents.vcpus = max(guests, 8)  // every guest (one vCPU each) fits on the lost host
    }
}

/// One power-off: which host, what it held, and how its guests were recovered.
struct BenchRun {
    var victim: String
    var guests: Int
    var heldEtcdLeader: Bool
    var heldVigilLeader: Bool
    var recovery: Recovery

    var line: String {
        let r = recovery
        return String(format: "%@ off with %d guests (etcd leader: %@, Vigil leader: %@): suspected %.2f s, fenced %.2f s, lease lost %.2f s, all dispatched %.2f s, all running %.2f s, all beating %.2f s",
                      victim, guests, heldEtcdLeader ? "yes" : "no", heldVigilLeader ? "yes" : "no", r.suspected ?? -1, r.fenced ?? -1,
                      r.leaseLost ?? -1, r.allDispatched ?? -1, r.allRunning ?? -1, r.allBeating ?? -1)
    }
}

/// The benchmark's table and bench/results file.
struct BenchReport {
    let setup: BenchSetup
    let runs: [BenchRun]
    let floor: Recovery
    let load: [Double]

    /// Median and max of the values present.
    static func stats(_ values: [Double?]) -> (median: Double, max: Double)? {
        let v = values.compactMap { $0 }.sorted()
        guard !v.isEmpty else { return nil }
        return (v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2, v.last!)
    }

    /// Milestones in seconds after the power loss, each with the floor's where it has one.
    var rows: [(name: String, key: String, values: [Double?], floor: Double?)] {
        let r = runs.map(\.recovery)
        return [
            ("detect: suspected by its peers", "suspected", r.map(\.suspected), nil),
            (setup.leasePath ? "lease lost (the proof with the watchdog)" : "fence: power-off confirmed", setup.leasePath ? "lease_lost" : "fenced",
             setup.leasePath ? r.map(\.leaseLost) : r.map(\.fenced), nil),
            ("dispatch: every start task picked up", "dispatched", r.map(\.allDispatched), nil),
            ("start: every guest running elsewhere", "running", r.map(\.allRunning), floor.allRunning),
            ("first heartbeat of every guest (new boot)", "heartbeat", r.map(\.allBeating), floor.allBeating),
        ]
    }

    func write(_ c: AgentCluster) throws {
        let path = setup.leasePath ? "lease (TTL \(setup.agents.ttlSeconds) s, watchdog 3 s, the lost host led etcd)" : "fence device"
        var table = ["", "failover benchmark: power-off of a host running all \(setup.guests) guests, \(path), \(runs.count) runs, load average \(load.map { String(format: "%.2f", $0) }.joined(separator: " → "))",
                     "(seconds after the power loss)",
                     "| step | Vigil median | Vigil max | floor | Vigil / floor |", "|---|---|---|---|---|"]
        var summary: [[String: String]] = []
        for row in rows {
            guard let s = Self.stats(row.values) else { continue }
            let f = row.floor.map { String(format: "%.2f", $0) } ?? "—"
            let ratio = row.floor.map { String(format: "%.2f", s.median / $0) } ?? "—"
            table.append(String(format: "| %@ | %.2f | %.2f | %@ | %@ |", row.name, s.median, s.max, f, ratio))
            summary.append(["step": row.key, "median": String(format: "%.3f", s.median), "max": String(format: "%.3f", s.max), "floor": f, "ratio": ratio])
        }
        print(table.joined(separator: "\n"))
        let result: [String: Any] = [
            "setup": ["path": setup.leasePath ? "lease" : "fence", "guests_on_lost_host": setup.guests, "runs": runs.count,
                      "lease_ttl_seconds": setup.agents.ttlSeconds, "keepalive_interval_seconds": setup.agents.keepAliveSeconds,
                      "etcd_timing_ms": ProcessInfo.processInfo.environment["VIGIL_LAB_ETCD_TIMING"] ?? "100/1000"] as [String: Any],
            "runs": runs.map { run in
                let r = run.recovery
                return ["victim": run.victim, "held_etcd_leader": run.heldEtcdLeader, "held_vigil_leader": run.heldVigilLeader,
                        "suspected": r.suspected ?? -1, "fenced": r.fenced ?? -1, "lease_lost": r.leaseLost ?? -1,
                        "dispatched": r.dispatched, "running": r.running, "heartbeat": r.heartbeat] as [String: Any]
            },
            "floor": ["running": floor.running, "heartbeat": floor.heartbeat],
            "summary": summary,
        ]
        let file = try BenchResults.write(result, name: setup.leasePath ? "failover-lease" : "failover", machine: c.benchMachine(load: load), repository: c.repository.path)
        print("wrote \(file)")
    }
}
