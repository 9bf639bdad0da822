import Foundation

/// The machine and commit a benchmark ran on, for bench/results/*.json.
public enum BenchMachine {
    /// Cores, memory, the guests' accelerator (KVM or TCG, and how that was found) and the load
    /// averages around the run (other work shares the machine).
    public static func facts(accelerator: Accelerator, load: [Double]) -> [String: Any] {
        ["cores": ProcessInfo.processInfo.activeProcessorCount, "memory_gib": Int(ProcessInfo.processInfo.physicalMemory >> 30),
         "accel": accelerator.name, "accel_source": accelerator.source, "load_average_1m": load]
    }

    /// The machine's 1-minute load average now.
    public static func loadAverage() -> Double {
        Double((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "") ?? -1
    }

    /// The checked-out commit of `repository`, read from .git (no git process): "unknown" without one.
    public static func commit(_ repository: String) -> String {
        let git = repository + "/.git/"
        guard let head = try? String(contentsOfFile: git + "HEAD", encoding: .utf8) else { return "unknown" }
        return GitHead.commit(head: head, loose: { try? String(contentsOfFile: git + $0, encoding: .utf8) },
                              packed: try? String(contentsOfFile: git + "packed-refs", encoding: .utf8))
    }
}

/// Resolves .git/HEAD to a commit: a detached hash, a loose ref file, or a line of packed-refs
/// (a fresh clone keeps its refs there). Pure: the caller reads the files.
public enum GitHead {
    public static func commit(head: String, loose: (String) -> String?, packed: String?) -> String {
        let ref = head.trimmingCharacters(in: .whitespacesAndNewlines)
        guard ref.hasPrefix("ref: ") else { return ref }
        let name = String(ref.dropFirst(5))
        if let hash = loose(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !hash.isEmpty { return hash }
        for line in (packed ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[1] == name { return String(fields[0]) }
        }
        return "unknown (\(name) not found)"
    }
}
