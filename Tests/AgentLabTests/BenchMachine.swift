import Foundation

/// The machine and commit a lab benchmark ran on, for bench/results/*.json.
enum BenchMachine {
    /// Cores, memory, the lab guests' accelerator (KVM or TCG) and the load averages around the run.
    static func facts(_ c: AgentCluster, load: [Double]) -> [String: Any] {
        let accel = (try? String(contentsOfFile: c.lab.directory + "/cache/accel", encoding: .utf8)) ?? "unknown"
        return ["cores": ProcessInfo.processInfo.activeProcessorCount, "memory_gib": Int(ProcessInfo.processInfo.physicalMemory >> 30),
                "accel": accel.trimmingCharacters(in: .whitespacesAndNewlines), "load_average_1m": load]
    }

    /// The checked-out commit, read from .git (no git process).
    static func commit(_ repository: String) -> String {
        guard let head = try? String(contentsOfFile: repository + "/.git/HEAD", encoding: .utf8) else { return "unknown" }
        let ref = head.trimmingCharacters(in: .whitespacesAndNewlines)
        guard ref.hasPrefix("ref: ") else { return ref }
        return (try? String(contentsOfFile: repository + "/.git/" + ref.dropFirst(5), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ref
    }
}
