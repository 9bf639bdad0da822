import AgentAPI
import ArgumentParser

/// `vigil capacity [--failures N] [--fail NODE...]`: N+x planning and what-if.
struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Can the cluster lose N nodes and still run every HA group? With --fail: what if these nodes failed?",
        discussion: "Also prints N+x for the cluster as configured: how many nodes it can lose, reserve hosts included.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "How many nodes may fail.") var failures = 1
    @Option(help: "A node to fail in a what-if (repeatable): where its groups would go, and which would find no room.")
    var fail: [String] = []

    func run() async throws {
        let report = try await options.client.decode(CapacityReport.self, .GET, AgentAPI.capacity(failures: failures, failing: fail))
        try emit(report, options.output, text: Self.text)
    }

    static func text(_ r: CapacityReport) -> String {
        var lines = [r.survives ? "yes: any \(r.failures) node(s) can fail and every HA group still fits"
                                : "no: losing \(r.failures) node(s) can leave these groups without room: \(r.groupsAtRisk.joined(separator: ", "))"]
        if !r.exhaustive { lines.append("(not every combination was checked)") }
        if let x = r.tolerates {
            let spares = r.reserveHosts ?? []
            let checked = max(r.failures, CapacityReport.toleranceChecked)
            lines.append("cluster as configured: N+\(x)" + (x >= checked ? " or more (checked up to \(checked) failures)" : "")
                         + (spares.isEmpty ? "" : " (reserve hosts included: \(spares.joined(separator: ", ")))"))
        }
        for (node, free) in r.headroom.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(node): \(free["freeMemoryMiB"] ?? 0) MiB and \(free["freeVCPUs"] ?? 0) vCPUs free")
        }
        if let w = r.whatIf {
            lines.append("what if \(w.failing.joined(separator: " and ")) failed:")
            if w.placements.isEmpty && w.unplaced.isEmpty { lines.append("  no group runs there") }
            for (group, node) in w.placements.sorted(by: { $0.key < $1.key }) { lines.append("  \(group) -> \(node)") }
            for (group, why) in w.unplaced.sorted(by: { $0.key < $1.key }) { lines.append("  \(group): no room (\(why))") }
        }
        return lines.joined(separator: "\n")
    }
}
