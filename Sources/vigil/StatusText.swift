import AgentAPI

/// The text forms of the cluster's status, shared by `status` and the `list`/`show` commands.
enum StatusText {
    static func nodes(_ nodes: [NodeView]) -> String {
        var table = TextTable("NODE", "STATE", "MEMBER", "RESERVE", "MEMORY(MiB) USED/FREE", "VCPUS USED/FREE", "VMS", "GROUPS")
        for n in nodes {
            table.add(n.name, state(n), n.member ? "yes" : "no", n.reserved == true ? "yes" : "no",
                      usedFree(n.usedMemoryMiB, n.freeMemoryMiB, total: n.memoryMiB), usedFree(n.usedVCPUs, n.freeVCPUs, total: n.vcpus),
                      n.vmCount.map(String.init) ?? "-", cell(n.groups))
        }
        return table.text
    }

    static func groups(_ groups: [GroupView]) -> String {
        var table = TextTable("GROUP", "STATUS", "NODES", "PREFERRED", "PRIORITY", "FAILOVERS LEFT", "LAST FAILURE", "VMS")
        for g in groups {
            table.add(g.name, g.status, cell(g.nodes, separator: "->"), cell(g.preferredOwners ?? []), g.priority,
                      g.failoversLeft.map(String.init) ?? "-", g.lastFailure ?? "-", cell(g.vms))
        }
        var lines = [table.text]
        for g in groups {
            if let note = g.note { lines.append("  \(g.name): \(note)") }
            if let recovery = g.lastRecovery { lines.append("  \(g.name): last recovery \(recovery)") }
            if let move = g.move, move.inFlight { lines.append("  \(g.name): moving \(move.summary)") }
        }
        return lines.joined(separator: "\n")
    }

    static func vms(_ vms: [VMView]) -> String {
        var table = TextTable("VM", "GROUP", "STATUS", "NODES")
        for v in vms { table.add(v.name, v.group, v.status, cell(v.nodes, separator: "->")) }
        return table.text
    }

    /// Like `crm_mon` and `ha-manager status`: quorum and leader, nodes, groups, then what needs attention.
    static func cluster(_ s: ClusterStatus) -> String {
        let members = s.nodes.filter(\.member).count
        return ["quorum: yes (the store answered; \(members) of \(s.nodes.count) node(s) hold a lease)",
                "leader: \(s.leader ?? "none")", "", nodes(s.nodes), "", groups(s.groups), "", alerts(s.alerts ?? [])].joined(separator: "\n")
    }

    static func alerts(_ alerts: [AlertView]) -> String {
        guard !alerts.isEmpty else { return "alerts: none" }
        return (["alerts:"] + alerts.map { "  \($0.severity.uppercased()): \($0.message)" }).joined(separator: "\n")
    }

    static func node(_ n: NodeView) -> String {
        var rows = [("node", n.name), ("state", state(n)), ("member", n.member ? "yes (holds its lease)" : "no"),
                    ("reserve host", n.reserved == true ? "yes (takes groups only when no other node can)" : "no"),
                    ("memory", "\(n.memoryMiB) MiB" + (n.usedMemoryMiB.map { " (\($0) used, \(n.freeMemoryMiB ?? 0) free)" } ?? "")),
                    ("vcpus", "\(n.vcpus)" + (n.usedVCPUs.map { " (\($0) used, \(n.freeVCPUs ?? 0) free)" } ?? ""))]
        if let count = n.vmCount { rows.append(("vms", "\(count)")) }
        rows.append(("groups", cell(n.groups, separator: ", ")))
        if let drain = n.drain {
            rows.append(("last drain", drain.summary.map { "\($0) (deadline \(drain.deadline))" } ?? "under way until its deadline \(drain.deadline)"))
            if !drain.failback.isEmpty { rows.append(("", "coming home (failback): " + drain.failback.joined(separator: ", "))) }
        }
        return fields(rows)
    }

    static func group(_ g: GroupView) -> String {
        var rows = [("group", g.name), ("status", g.status), ("nodes", cell(g.nodes, separator: " -> ")),
                    ("vms", cell(g.vms, separator: ", ")), ("policy", g.policy ?? "priority=\(g.priority)")]
        if let left = g.failoversLeft { rows.append(("failovers left", "\(left)")) }
        rows.append(("last failure", g.lastFailure ?? "none recorded"))
        if let note = g.note { rows.append(("note", note)) }
        if let recovery = g.lastRecovery { rows.append(("last recovery", recovery)) }
        if let methods = g.moveMethods { rows.append(("move methods", cell(methods, separator: " -> "))) }
        for note in g.moveMethodNotes ?? [] { rows.append(("", note)) }
        if let move = g.move {
            rows.append((move.inFlight ? "moving" : "last move", "\(move.summary) (move \(move.id))"))
            for step in move.steps.suffix(5) {
                rows.append(("", "\(step.what)\(step.vm.map { " \($0)" } ?? "") on \(step.node): \(step.reason)"))
            }
        }
        if let v = g.verification {
            rows.append((v.outcome == nil ? "verifying" : "last verify",
                         "\(v.outcome ?? "under way") from \(v.origin), started \(v.startedAt)" + (v.failure.map { ": \($0)" } ?? "")))
            for step in v.steps { rows.append(("", VerifyCommand.line(step))) }
        }
        return fields(rows)
    }

    static func vm(_ v: VMView) -> String {
        fields([("vm", v.name), ("group", v.group), ("status", v.status), ("nodes", cell(v.nodes, separator: " -> "))])
    }

    /// A node's state, with when its quarantine ends and whether it cannot host groups now.
    private static func state(_ n: NodeView) -> String {
        let state = n.quarantinedUntil.map { "\(n.state) until \($0)" } ?? n.state
        return n.impairment == nil ? state : state + " (impaired)"
    }

    private static func usedFree(_ used: Int?, _ free: Int?, total: Int) -> String {
        guard let used, let free else { return "\(total)" }
        return "\(used)/\(free)"
    }

    /// `name: value` lines with the values aligned; a row without a name continues the one above.
    private static func fields(_ rows: [(String, String)]) -> String {
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        return rows.map { ($0.0.isEmpty ? "" : $0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
