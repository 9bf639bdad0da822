import AgentAPI

/// The text forms of the cluster's status, shared by `status` and the `list`/`show` commands.
enum StatusText {
    static func nodes(_ nodes: [NodeView]) -> String {
        var table = TextTable("NODE", "STATE", "MEMBER", "MEMORY(MiB)", "VCPUS", "GROUPS")
        for n in nodes { table.add(n.name, n.state, n.member ? "yes" : "no", "\(n.memoryMiB)", "\(n.vcpus)", cell(n.groups)) }
        return table.text
    }

    static func groups(_ groups: [GroupView]) -> String {
        var table = TextTable("GROUP", "STATUS", "NODES", "PRIORITY", "VMS")
        for g in groups { table.add(g.name, g.status, cell(g.nodes, separator: "->"), g.priority, cell(g.vms)) }
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

    static func cluster(_ s: ClusterStatus) -> String {
        ["leader: \(s.leader ?? "none")", "", nodes(s.nodes), "", groups(s.groups)].joined(separator: "\n")
    }

    static func node(_ n: NodeView) -> String {
        fields([("node", n.name), ("state", n.state), ("member", n.member ? "yes (holds its lease)" : "no"),
                ("memory", "\(n.memoryMiB) MiB"), ("vcpus", "\(n.vcpus)"), ("groups", cell(n.groups, separator: ", "))])
    }

    static func group(_ g: GroupView) -> String {
        var rows = [("group", g.name), ("status", g.status), ("nodes", cell(g.nodes, separator: " -> ")),
                    ("vms", cell(g.vms, separator: ", ")), ("policy", g.policy ?? "priority=\(g.priority)")]
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
        return fields(rows)
    }

    static func vm(_ v: VMView) -> String {
        fields([("vm", v.name), ("group", v.group), ("status", v.status), ("nodes", cell(v.nodes, separator: " -> "))])
    }

    /// `name: value` lines with the values aligned; a row without a name continues the one above.
    private static func fields(_ rows: [(String, String)]) -> String {
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        return rows.map { ($0.0.isEmpty ? "" : $0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
