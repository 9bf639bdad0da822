import Blocking
import Foundation
import LabSupport
import Libvirt
import XCTest

/// `make bench`: host power-off with a fence device, several runs, measured from outside the agents,
/// against the lab's floor measured in the same run: the same guests started elsewhere with plain
/// libvirt calls (define + start, as `virsh start` does) as soon as the kill returns. Writes
/// bench/results/failover.json. Not a test: it asserts nothing about times and is skipped (saying so)
/// unless VIGIL_BENCH=1.
extension AgentLabTests {
    func testFailoverBenchmark() async throws {
        guard ProcessInfo.processInfo.environment["VIGIL_BENCH"] == "1" else {
            throw XCTSkip("the failover benchmark runs under `make bench` (VIGIL_BENCH=1), not as part of the tests")
        }
        let runs = Int(ProcessInfo.processInfo.environment["VIGIL_BENCH_RUNS"] ?? "") ?? 3
        let guests = Int(ProcessInfo.processInfo.environment["VIGIL_BENCH_GUESTS"] ?? "") ?? 10
        try await withCluster(fenceDevices: true) { c in
            let vms = (1...guests).map { "bench\($0)" }
            try await c.addOnline(vms, failover: "100/1h")  // every run fails guests over: no budget runs out
            var vigil: [Recovery] = []
            var victimsPerRun: [[String]] = []
            for run in 1...runs {
                let placement = Dictionary(grouping: vms) { c.runningHosts(of: $0).first ?? "?" }
                let victim = placement.filter { $0.key != "?" }.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!.key
                let victims = placement[victim]!
                let offsets = c.logOffsets()
                let (watch, loss) = try await c.powerOff(victim, watching: vms)
                let r = await c.measureRecovery(of: victim, guests: victims, lostAt: loss, logsFrom: offsets)
                let duplicates = await watch.stop()
                XCTAssertEqual(duplicates, [:], "a guest ran on two hosts at once (run \(run))")
                print(String(format: "run %d: %@ off with %d guests: suspected %.2f s, fenced %.2f s, all running %.2f s, all beating %.2f s",
                             run, victim, victims.count, r.suspected ?? -1, r.fenced ?? -1, r.allRunning ?? -1, r.allBeating ?? -1))
                vigil.append(r)
                victimsPerRun.append(victims)
                try await c.lab.start(victim)
                try await c.startAgent(on: victim)
                try await c.waitUntil("\(victim) a member again, every guest online", timeout: 120) {
                    let s = try await c.status(via: c.lab.hosts.map(\.name).first { $0 != victim }!)
                    return s.nodes.first { $0.name == victim }?.member == true && vms.allSatisfy { vm in s.groups.first { $0.name == vm }?.status == "online" }
                }
            }

            // The floor: no agent; kill the host and start its guests elsewhere right away.
            for h in c.lab.hosts.map(\.name) { await c.stopAgent(on: h) }
            let placement = Dictionary(grouping: vms) { c.runningHosts(of: $0).first ?? "?" }
            let victim = placement.filter { $0.key != "?" }.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!.key
            let victims = placement[victim]!
            let survivors = c.lab.hosts.filter { $0.name != victim }
            let xml = try victims.map { vm -> String in
                let dir = c.lab.sharedStorage + "/vms/" + vm
                let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".xml") })
                return try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            }
            for vm in vms { _ = try await c.lab.waitForHeartbeat(of: vm, after: labNow() - 1, timeout: 120) }
            let loss = Date()
            try await c.kill(victim)
            let offsets = c.logOffsets()
            let starter = Task.detached {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, vm) in victims.enumerated() {
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
            let floor = await c.measureRecovery(of: victim, guests: victims, lostAt: loss, logsFrom: offsets)
            try await starter.value
            print(String(format: "floor: %@ off with %d guests, started elsewhere at once: all running %.2f s, all beating %.2f s",
                         victim, victims.count, floor.allRunning ?? -1, floor.allBeating ?? -1))
            try writeResults(c, runs: vigil, victims: victimsPerRun, floor: floor)
        }
    }

    private func writeResults(_ c: AgentCluster, runs: [Recovery], victims: [[String]], floor: Recovery) throws {
        func stats(_ values: [Double?]) -> (median: Double, max: Double)? {
            let v = values.compactMap { $0 }.sorted()
            guard !v.isEmpty else { return nil }
            return (v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2, v.last!)
        }
        let rows: [(String, [Double?], Double?)] = [
            ("suspected by its peers", runs.map(\.suspected), nil),
            ("fence confirmed", runs.map(\.fenced), nil),
            ("every guest running elsewhere", runs.map(\.allRunning), floor.allRunning),
            ("every guest heartbeating (new boot)", runs.map(\.allBeating), floor.allBeating),
        ]
        var table = ["", "failover benchmark: power-off of the host with the most guests, fence device, \(runs.count) runs (seconds after the power loss)",
                     "| step | Vigil median | Vigil max | floor | Vigil / floor |", "|---|---|---|---|---|"]
        var summary: [[String: String]] = []
        for (name, values, floorValue) in rows {
            guard let s = stats(values) else { continue }
            let f = floorValue.map { String(format: "%.2f", $0) } ?? "—"
            let ratio = floorValue.map { String(format: "%.2f", s.median / $0) } ?? "—"
            table.append(String(format: "| %@ | %.2f | %.2f | %@ | %@ |", name, s.median, s.max, f, ratio))
            summary.append(["step": name, "median": String(format: "%.3f", s.median), "max": String(format: "%.3f", s.max), "floor": f, "ratio": ratio])
        }
        print(table.joined(separator: "\n"))
        let accel = (try? String(contentsOfFile: c.lab.directory + "/cache/accel", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        let commit = (try? String(contentsOfFile: c.repository.path + "/.git/HEAD", encoding: .utf8)).map { head -> String in
            let ref = head.trimmingCharacters(in: .whitespacesAndNewlines)
            guard ref.hasPrefix("ref: ") else { return ref }
            return (try? String(contentsOfFile: c.repository.path + "/.git/" + ref.dropFirst(5), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ref
        } ?? "unknown"
        let result: [String: Any] = [
            "date": ISO8601DateFormatter().string(from: Date()),
            "machine": ["cores": ProcessInfo.processInfo.activeProcessorCount,
                        "memory_gib": Int(ProcessInfo.processInfo.physicalMemory >> 30), "accel": accel],
            "commit": commit,
            "runs": zip(runs, victims).map { r, v in
                ["guests": v, "suspected": r.suspected ?? -1, "fenced": r.fenced ?? -1, "running": r.running, "heartbeat": r.heartbeat] as [String: Any]
            },
            "floor": ["running": floor.running, "heartbeat": floor.heartbeat],
            "summary": summary,
        ]
        let directory = c.repository.path + "/bench/results"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: directory + "/failover.json"))
        print("wrote \(directory)/failover.json")
    }
}
