import HACore

/// Logs capacity-planning answers (for golden scenarios).
extension Simulation {
    mutating func logPlan(lose k: Int) {
        let planner = coordinator.capacityPlanner
        for h in planner.headroom() {
            note("plan", "headroom \(h.node): \(h.freeMemoryMiB) MiB, \(h.freeVCPUs) vCPUs free, \(h.groups) group(s)")
        }
        let report = planner.lossTolerance(count: k)
        let verdict = report.survives ? "survives" : "does NOT survive"
        note("plan", "losing any \(k) node(s): \(verdict) (\(report.combinationsChecked) of \(report.totalCombinations) combinations checked)")
        if !report.survives {
            note("plan", "groups at risk: \(report.groupsAtRisk.sorted().map(\.rawValue).joined(separator: ", "))")
            for r in report.failingSets { logWhatIf(r) }
        }
    }

    mutating func logWhatIf(_ r: WhatIfResult) {
        let moves = r.placements.sorted { $0.key < $1.key }.map { "\($0.key)->\($0.value)" }.joined(separator: " ")
        let lost = r.unplaced.keys.sorted().map(\.rawValue).joined(separator: ", ")
        note("plan", "if \(r.failing.map(\.rawValue).joined(separator: ",")) fail: \(moves.isEmpty ? "nothing moves" : moves)\(lost.isEmpty ? "" : "; no room for \(lost)")")
    }
}
