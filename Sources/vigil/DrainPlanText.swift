import AgentAPI

/// `vigil node drain --dry-run` as text: per group its target, method and estimate, or why it cannot
/// move; the whole drain's estimate; the rates used (measured or assumed); N+x now and after.
enum DrainPlanText {
    static func render(_ plan: DrainPlanView) -> String {
        if let refusal = plan.refusal { return "\(plan.node) cannot be drained: \(refusal)" }
        var table = TextTable("GROUP", "MEMORY", "TARGET", "METHOD", "ESTIMATE", "WHY")
        for move in plan.moves {
            table.add(move.group, "\(move.memoryMiB) MiB", move.target ?? "cannot move", move.method ?? "-",
                      move.estimatedSeconds.map(duration) ?? "-", move.reason)
        }
        var lines = ["dry run of a drain of \(plan.node): nothing is changed", plan.moves.isEmpty ? "no group runs on \(plan.node)" : table.text]
        let stuck = plan.moves.filter { $0.target == nil }
        if !stuck.isEmpty {
            lines.append("cannot move (the drain would end incomplete): " + stuck.map { "\($0.group) (\($0.reason))" }.joined(separator: "; "))
        }
        if let total = plan.estimatedSeconds {
            lines.append("estimated time: \(duration(total)) at \(plan.concurrency) move(s) at once")
        }
        for rate in plan.rates {
            lines.append(rate.assumed
                         ? "\(rate.method) rate: \(rate.mebibytesPerSecond.rounded()) MiB/s assumed (no \(rate.method) move measured yet)"
                         : "\(rate.method) rate: \(rate.mebibytesPerSecond.rounded()) MiB/s measured on \(rate.measuredOn) earlier move(s)")
        }
        lines.append("N+\(plan.toleratesNow) now; N+\(plan.toleratesAfter) once \(plan.node) is drained")
        return lines.joined(separator: "\n")
    }

    /// Seconds as `1m05s` or `12s`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return whole >= 60 ? "\(whole / 60)m\(whole % 60 < 10 ? "0" : "")\(whole % 60)s" : "\(whole)s"
    }
}
