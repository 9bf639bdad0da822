import BenchSupport
import Foundation

/// The footprint benchmark's settings: `VIGIL_BENCH_DOMAINS` (100) and `VIGIL_BENCH_IDLE_SECONDS` (60).
struct FootprintSetup {
    var domains: Int
    var idleSeconds: Int
    /// After the last group is online, before the idle time starts (the first reconciles run).
    var settleSeconds = 15

    init(_ environment: [String: String]) throws {
        domains = try Self.count(environment, "VIGIL_BENCH_DOMAINS", default: 100)
        idleSeconds = try Self.count(environment, "VIGIL_BENCH_IDLE_SECONDS", default: 60)
    }

    /// libvirt's test driver reports a host of 16 CPUs and 3 GiB; both runs declare room for every
    /// guest (AgentHarness.writeDomain: 128 MiB, 1 vCPU each) so that none is refused for capacity.
    var capacityYAML: String { "capacity: {memory_mib: \(domains * 128 + 4096), vcpus: \(domains + 16)}" }

    private static func count(_ environment: [String: String], _ name: String, default value: Int) throws -> Int {
        guard let text = environment[name] else { return value }
        guard let n = Int(text), n > 0 else { throw FootprintSetupError(variable: name, value: text) }
        return n
    }
}

/// A footprint setting that is not a positive whole number.
struct FootprintSetupError: Error, CustomStringConvertible {
    let variable: String
    let value: String
    var description: String { "\(variable)=\(value): must be a whole number above 0" }
}

/// One vigild run: its footprint when every group was online, and before and after the idle time.
struct FootprintRun {
    let domains: Int
    let ready: ProcessFootprint
    let readySeconds: Double
    let idleStart: ProcessFootprint
    let idleEnd: ProcessFootprint
    let idleSeconds: Double
    /// Groups with a restart or failover recorded (`lastFailure`): none if the domains were only
    /// watched. (Seen: a group added while others are being added can be started before this host's
    /// agent has read its definition, "group X has no definition in the store", and is restarted.)
    let failures: [String]

    var residentMiB: Double { Double(idleEnd.residentKiB) / 1024 }
    var peakResidentMiB: Double { Double(idleEnd.peakResidentKiB) / 1024 }
    var anonymousMiB: Double { Double(idleEnd.anonymousKiB) / 1024 }
    var fileMiB: Double { Double(idleEnd.fileKiB) / 1024 }
    var idleCPUPercent: Double { ProcessFootprint.cpuPercent(from: idleStart, to: idleEnd, seconds: idleSeconds) }
    /// CPU time from exec until every group was online (start-up, taking on the domains).
    var readyCPUSeconds: Double { Double(ready.cpuTicks) / ProcessFootprint.ticksPerSecond }

    var json: [String: Any] {
        ["domains": domains, "resident_mib": residentMiB, "peak_resident_mib": peakResidentMiB,
         "anonymous_mib": anonymousMiB, "file_mib": fileMiB, "idle_cpu_percent": idleCPUPercent,
         "idle_seconds": idleSeconds, "ready_cpu_seconds": readyCPUSeconds, "ready_seconds": readySeconds, "groups_with_a_failure": failures]
    }
}

/// The footprint benchmark's table and bench/results/footprint.json.
struct FootprintReport {
    let setup: FootprintSetup
    let baseline: FootprintRun
    let watching: FootprintRun
    let load: [Double]
    let goal = FootprintGoal()

    var met: Bool { goal.met(residentMiB: watching.residentMiB, idleCPUPercent: watching.idleCPUPercent) }

    var table: String {
        let rows: [(String, (FootprintRun) -> Double)] = [
            ("resident after the idle time (VmRSS, MiB)", \.residentMiB),
            ("  of which anonymous (RssAnon, MiB)", \.anonymousMiB),
            ("  of which mapped from files (RssFile, MiB)", \.fileMiB),
            ("peak resident (VmHWM, MiB)", \.peakResidentMiB),
            ("idle CPU (% of one core over \(setup.idleSeconds) s)", \.idleCPUPercent),
            ("CPU from start until every group online (s)", \.readyCPUSeconds),
            ("wall time from start until every group online (s)", \.readySeconds),
        ]
        var lines = ["", "vigild footprint: release build, embedded store, libvirt test driver; load average "
                        + load.map { String(format: "%.2f", $0) }.joined(separator: " → "),
                     "| | \(baseline.domains) domains (baseline) | \(watching.domains) domains | \(watching.domains) / baseline |",
                     "|---|---|---|---|"]
        lines += rows.map { name, value in
            String(format: "| %@ | %.2f | %.2f | %.2f |", name, value(baseline), value(watching), value(watching) / max(value(baseline), 1e-9))
        }
        lines += [baseline, watching].filter { !$0.failures.isEmpty }.map { run in
            "with \(run.domains) domains, \(run.failures.count) group(s) had a restart or failover recorded (not only watched): "
                + run.failures.joined(separator: "; ")
        }
        lines.append(String(format: "goal: ≤ %.0f MiB resident and ≤ %.0f%% of one core idle with %d domains: %@",
                            goal.residentMiBAtMost, goal.idleCPUPercentAtMost, watching.domains, met ? "met" : "NOT met"))
        return lines.joined(separator: "\n")
    }

    func write(repository: String) throws -> String {
        let result: [String: Any] = [
            "setup": ["binary": ".build/release/vigild", "store": "embedded (SQLite, temporary directory)", "libvirt_uri": "test:///default",
                      "domains": watching.domains, "baseline": "the same vigild watching \(baseline.domains) domains, same run",
                      "settle_seconds": setup.settleSeconds, "idle_seconds": setup.idleSeconds, "capacity": setup.capacityYAML] as [String: Any],
            "baseline": baseline.json,
            "watching": watching.json,
            "goal": ["resident_mib_at_most": goal.residentMiBAtMost, "idle_cpu_percent_at_most": goal.idleCPUPercentAtMost,
                     "judged_on": "resident after the idle time (VmRSS) and idle CPU, with \(watching.domains) domains", "met": met] as [String: Any],
        ]
        return try BenchResults.write(result, name: "footprint", machine: BenchMachine.facts(accelerator: .device(), load: load), repository: repository)
    }
}
