import AgentAPI
import ClusterSchema
import Foundation
import HACore

/// What the console's templates show, built from the API's own answers (`ClusterStatus`,
/// `DecisionView`, `MoveView`, `GroupSpec`): no fact of the console has a source of its own.
enum ConsoleViews {
    /// A time as `<time>` shows it: ISO 8601 for the browser to convert, UTC text without JavaScript.
    struct Time { let iso: String; let utc: String }

    static func time(_ iso: String) -> Time {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = parser.date(from: iso) ?? ISO8601DateFormatter().date(from: iso) else { return Time(iso: iso, utc: iso) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return Time(iso: iso, utc: formatter.string(from: date))
    }

    /// A name as it goes into a console path.
    static func path(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? name
    }

    struct Alert { let severity: String; let subject: String?; let message: String }
    struct Event { let at: Time; let action: String; let group: String?; let nodes: String?; let reason: String; let trigger: String }
    struct MoveBar { let group: String; let groupPath: String; let from: String; let to: String; let method: String; let phase: String
                     let done: UInt64; let total: UInt64; let percent: Int }
    struct DrainBar { let node: String; let nodePath: String; let moved: Int; let left: Int; let total: Int; let percent: Int }
    struct NodeRow { let name: String; let path: String; let state: String; let leader: Bool; let reserved: Bool
                     let memory: String; let vcpus: String; let vmCount: Int }
    struct GroupLink { let name: String; let path: String; let status: String; let vms: [String]; let hasVMs: Bool }
    struct Resource { let order: Int; let kind: String; let name: String; let detail: String }
    struct Named { let name: String; let path: String }
    struct VerifyStep { let from: String; let to: String; let method: String; let result: String; let seconds: String?; let reason: String? }
    struct OwnerRow { let node: String; let verdict: String; let kind: String; let problems: [String]; let hasProblems: Bool
                      let warnings: [String]; let hasWarnings: Bool }
    /// Stored, not computed: Mustache sees stored properties only.
    struct Verification { let outcome: String; let badge: String; let underWay: Bool; let origin: String; let startedAt: Time
                          let failure: String?; let steps: [VerifyStep]; let hasSteps: Bool; let pending: String? }

    static func alerts(_ status: ClusterStatus, about subject: String? = nil) -> [Alert] {
        (status.alerts ?? []).filter { subject == nil || $0.subject == subject }
            .map { Alert(severity: $0.severity, subject: $0.subject, message: $0.message) }
    }

    static func event(_ e: DecisionView) -> Event {
        Event(at: time(e.time), action: e.action, group: e.group, nodes: e.nodes.isEmpty ? nil : e.nodes.joined(separator: ", "),
              reason: e.reason, trigger: e.trigger)
    }

    /// Each VM's bytes summed: a move's bar fills as its VMs' data is sent; a move without samples
    /// (quick, cold, or not started) shows its phase only, done or not.
    static func moveBar(_ m: MoveView) -> MoveBar {
        let total = m.vms.reduce(UInt64(0)) { $0 + ($1.dataTotal ?? 0) }
        let done = m.vms.reduce(UInt64(0)) { $0 + min($1.dataProcessed ?? 0, $1.dataTotal ?? 0) }
        let (d, t) = total > 0 ? (done, total) : (m.inFlight ? 0 : 1, 1)
        return MoveBar(group: m.group, groupPath: path(m.group), from: m.from, to: m.to, method: m.method, phase: m.phase,
                       done: d, total: t, percent: Int(d * 100 / t))
    }

    /// A drain in flight: groups moved against those moved plus those still on the node.
    static func drainBar(_ n: NodeView) -> DrainBar? {
        guard let drain = n.drain, drain.outcome == nil else { return nil }
        let total = drain.moved.count + n.groups.count
        return DrainBar(node: n.name, nodePath: path(n.name), moved: drain.moved.count, left: n.groups.count,
                        total: max(total, 1), percent: total == 0 ? 100 : drain.moved.count * 100 / total)
    }

    /// A group's verification under way or its last one: each move's method, result and time.
    static func verification(_ v: VerificationView) -> Verification {
        Verification(outcome: v.outcome ?? "under way", badge: v.outcome ?? "moving", underWay: v.outcome == nil, origin: v.origin,
                     startedAt: time(v.startedAt), failure: v.failure,
                     steps: v.steps.map { s in
                         VerifyStep(from: s.from, to: s.to, method: s.method ?? "-", result: s.result,
                                    seconds: s.seconds.map { String(format: "%.1f s", $0) }, reason: s.reason)
                     },
                     hasSteps: !v.steps.isEmpty, pending: v.pending.isEmpty ? nil : v.pending.joined(separator: " → "))
    }

    /// The HA wizard's report as its page shows it: the VM's own errors and warnings (`errors`,
    /// `warnings`: the API's, one per line), then one row per possible owner with its errors and
    /// warnings. Without the API's `report` (the VM's configuration did not load) the owners are
    /// `members`, each not checked.
    static func wizardReport(errors: [String], warnings: [String], report: WizardReport?, members: [String]) -> [String: Any?] {
        let rows = report?.owners.map { o in
            OwnerRow(node: o.node, verdict: o.problems.isEmpty ? "can host it" : "cannot host it", kind: o.problems.isEmpty ? "ok" : "error",
                     problems: o.problems, hasProblems: !o.problems.isEmpty, warnings: o.warnings, hasWarnings: !o.warnings.isEmpty)
        } ?? members.sorted().map { node in
            OwnerRow(node: node, verdict: "not checked until the errors of the VM itself are fixed", kind: "hint",
                     problems: [], hasProblems: false, warnings: [], hasWarnings: false)
        }
        let vmErrors = report == nil ? errors : [], vmWarnings = report?.warnings ?? warnings
        return ["vmErrors": vmErrors, "hasVMErrors": !vmErrors.isEmpty, "vmWarnings": vmWarnings, "hasVMWarnings": !vmWarnings.isEmpty,
                "owners": rows, "hasOwners": !rows.isEmpty, "hasErrors": errors.isEmpty ? nil : true]
    }

    static func nodeRow(_ n: NodeView, leader: String?) -> NodeRow {
        NodeRow(name: n.name, path: path(n.name), state: n.state, leader: n.name == leader, reserved: n.reserved == true,
                memory: usedFree(n.usedMemoryMiB, n.freeMemoryMiB, of: n.memoryMiB, unit: " MiB"),
                vcpus: usedFree(n.usedVCPUs, n.freeVCPUs, of: n.vcpus, unit: ""), vmCount: n.vmCount ?? 0)
    }

    private static func usedFree(_ used: Int?, _ free: Int?, of total: Int, unit: String) -> String {
        guard let used, let free else { return "\(total)\(unit) (no placement yet)" }
        return "\(used)\(unit) / \(free)\(unit) of \(total)\(unit)"
    }

    static func groupLink(_ g: GroupView) -> GroupLink {
        GroupLink(name: g.name, path: path(g.name), status: g.status, vms: g.vms, hasVMs: !g.vms.isEmpty)
    }

    /// The group's resources in the order they come online (storage, configuration, VM).
    static func resources(_ spec: GroupSpec) -> [Resource] {
        let byID = Dictionary(spec.definition.resources.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return spec.definition.onlineOrder.enumerated().compactMap { index, id in
            guard let r = byID[id] else { return nil }
            let kind: String, detail: String
            switch r.kind {
            case .storage(let sharing):
                kind = "storage"
                switch spec.storage[id.rawValue] {
                case .shared(let p)?: detail = "\(sharing.rawValue), \(p)"
                case .exclusive(let device, let mount)?: detail = "\(sharing.rawValue), \(device) on \(mount)"
                case nil: detail = sharing.rawValue
                }
            case .vmConfiguration(let xml): kind = "configuration"; detail = xml
            case .virtualMachine(let domain, let memory, let vcpus, let methods):
                kind = "VM"; detail = "\(domain): \(memory) MiB, \(vcpus) vCPU, moves \(methods.map(\.rawValue).joined(separator: " → "))"
            }
            return Resource(order: index + 1, kind: kind, name: id.rawValue, detail: detail)
        }
    }

    /// The cluster page: quorum and leader, nodes, the tree of groups, alerts, in-flight work, the last events.
    static func cluster(_ status: ClusterStatus, events: DecisionPage) -> [String: Any?] {
        let members = status.nodes.filter(\.member).count
        let values: [String: Any?] = [
            "leader": status.leader ?? "none", "quorum": "yes (the store answered; \(members) of \(status.nodes.count) node(s) hold a lease)",
            "nodes": status.nodes.map { nodeRow($0, leader: status.leader) },
            "groups": status.groups.map(groupLink),
            "alerts": alerts(status), "hasAlerts": !(status.alerts ?? []).isEmpty,
            "events": events.events.map(event), "cursor": events.cursor,
        ]
        return values.merging(inFlight(status)) { a, _ in a }
    }

    /// The in-flight part of a page: moves not yet done and drains under way, optionally only those
    /// that touch one group or node.
    static func inFlight(_ status: ClusterStatus, group: String? = nil, node: String? = nil) -> [String: Any?] {
        let moves = status.groups.compactMap(\.move).filter(\.inFlight)
            .filter { m in (group == nil || m.group == group) && (node == nil || m.from == node || m.to == node) }
            .map(moveBar)
        let drains = status.nodes.filter { node == nil || $0.name == node }.compactMap(drainBar)
        return ["moves": moves, "drains": drains, "hasInFlight": !(moves.isEmpty && drains.isEmpty)]
    }
}
