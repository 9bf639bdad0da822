import AgentAPI
import ArgumentParser
import Foundation
import NIOHTTP1

/// `vigil status`: nodes, groups and the leader.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show nodes, groups and the leader.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let status = try await options.client.decode(ClusterStatus.self, .GET, AgentAPI.status)
        try emit(status, options.output) { s in
            var lines = ["leader: \(s.leader ?? "none")", "", "NODE        STATE        MEMBER  MEMORY(MiB)  VCPUS  GROUPS"]
            for n in s.nodes {
                lines.append(pad(n.name, 12) + pad(n.state, 13) + pad(n.member ? "yes" : "no", 8) + pad("\(n.memoryMiB)", 13)
                             + pad("\(n.vcpus)", 7) + n.groups.joined(separator: ","))
            }
            lines += ["", "GROUP       STATUS       NODES         PRIORITY  VMS"]
            for g in s.groups {
                lines.append(pad(g.name, 12) + pad(g.status, 13) + pad(g.nodes.joined(separator: "->"), 14) + pad(g.priority, 10)
                             + g.vms.joined(separator: ","))
                if let note = g.note { lines.append("            \(note)") }
                if let recovery = g.lastRecovery { lines.append("            last recovery \(recovery)") }
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// `vigil vm add`: makes a VM highly available.
struct VM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage highly available VMs.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a VM highly available (its domain XML must be on shared storage).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The domain name.") var domain: String
        @Option(help: "The domain XML file on shared storage.") var xml: String
        @Option(help: "The group to join or create (default: the domain name).") var group: String?
        @OptionGroup var policy: PolicyOptions
        @Option(help: "Allowed move methods, best first: live,quick,cold.") var moveMethods: String?
        @Option(help: "Exclusive storage the VM needs, NAME=DEVICE:MOUNTPOINT (mounted on the owner only; repeatable).")
        var exclusive: [String] = []
        @Option(help: "Shared storage the VM needs, NAME=PATH (present on every host; repeatable).")
        var shared: [String] = []
        @Flag(help: "Only run the checks (this host and every possible owner); make nothing highly available.")
        var check = false

        func run() async throws {
            let p = policy.request
            let request = AddVMRequest(domain: domain, xmlPath: xml, group: group, priority: p.priority, preferredOwners: p.preferredOwners,
                                       possibleOwners: p.possibleOwners, moveMethods: list(moveMethods), antiAffinity: p.antiAffinity,
                                       storage: try storageRequests(exclusive: exclusive, shared: shared),
                                       restart: p.restart, failover: p.failover, failback: p.failback)
            let answer = try await options.client.decode(Accepted.self, .POST, check ? AgentAPI.checkVM : AgentAPI.vms, body: request)
            try emit(answer, options.output) { $0.accepted }
        }
    }
}

/// A group's failover policy as command-line options (for `vm add` and `group policy`).
struct PolicyOptions: ParsableArguments {
    @Option(help: "high, medium, low or noAutoStart.") var priority: String?
    @Option(help: "Preferred owners, most preferred first, comma-separated (none: no preference).") var preferred: String?
    @Option(help: "Possible owners, comma-separated (all: every node, the default).") var possible: String?
    @Option(help: "Anti-affinity class names, comma-separated (none: no class).") var antiAffinity: String?
    @Option(help: "Restarts on one node within a period before failing over: COUNT/PERIOD (default 1/15m).") var restart: String?
    @Option(help: "Failovers within a period before the group is left failed: COUNT/PERIOD (default 2/6h).") var failover: String?
    @Option(help: "Failback to the preferred owner: never (default), immediately or window:START-END (hours).") var failback: String?

    /// The options as an API request: words "none" and "all" clear a list.
    var request: PolicyRequest {
        PolicyRequest(priority: priority, preferredOwners: cleared(preferred, "none"), possibleOwners: cleared(possible, "all"),
                      antiAffinity: cleared(antiAffinity, "none"), restart: restart, failover: failover, failback: failback)
    }

    private func cleared(_ value: String?, _ word: String) -> [String]? { value == word ? [] : list(value) }
}

/// `vigil group move|policy|remove`.
struct Group: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move, start, configure or remove groups.",
                                                    subcommands: [Move.self, Policy.self, Remove.self])

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a group's failover policy (options left out stay as they are); with none, show it.")
        @OptionGroup var options: GlobalOptions
        @Argument var group: String
        @OptionGroup var policy: PolicyOptions

        func run() async throws {
            let request = policy.request
            if request == PolicyRequest() {
                let status = try await options.client.decode(ClusterStatus.self, .GET, AgentAPI.status)
                guard let view = status.groups.first(where: { $0.name == group }) else { throw ValidationError("no group named \(group)") }
                try emit(view, options.output) { "group \($0.name): \($0.policy ?? "priority=\($0.priority)")" }
                return
            }
            let answer = try await options.client.decode(Accepted.self, .PUT, AgentAPI.policy(group), body: request)
            try emit(answer, options.output) { $0.accepted }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a group (or start a stopped or failed one).")
        @OptionGroup var options: GlobalOptions
        @Argument var group: String
        @Option(help: "Target node (default: the best one).") var to: String?

        func run() async throws {
            let answer = try await options.client.decode(Accepted.self, .POST, AgentAPI.move(group), body: MoveRequest(to: to))
            try emit(answer, options.output) { $0.accepted }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a group that runs nowhere.")
        @OptionGroup var options: GlobalOptions
        @Argument var group: String

        func run() async throws {
            let answer = try await options.client.decode(Accepted.self, .DELETE, AgentAPI.group(group))
            try emit(answer, options.output) { $0.accepted }
        }
    }
}

/// `vigil node drain|resume|abort-drain NODE`.
struct Node: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Drain a node for maintenance, or return it to service.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "drain, abort-drain or resume.") var action: String
    @Argument var node: String

    func run() async throws {
        guard let action = NodeAction(rawValue: action) else {
            throw ValidationError("unknown action '\(action)'; use \(NodeAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let answer = try await options.client.decode(Accepted.self, .POST, AgentAPI.node(node, action))
        try emit(answer, options.output) { $0.accepted }
    }
}

/// `vigil capacity --failures N`: N+x planning.
struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Can the cluster lose N nodes and still run every HA group?")
    @OptionGroup var options: GlobalOptions
    @Option(help: "How many nodes may fail.") var failures = 1

    func run() async throws {
        let report = try await options.client.decode(CapacityReport.self, .GET, AgentAPI.capacity + "?failures=\(failures)")
        try emit(report, options.output) { r in
            var lines = [r.survives ? "yes: any \(r.failures) node(s) can fail and every HA group still fits"
                                    : "no: losing \(r.failures) node(s) can leave these groups without room: \(r.groupsAtRisk.joined(separator: ", "))"]
            if !r.exhaustive { lines.append("(not every combination was checked)") }
            for (node, free) in r.headroom.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(node): \(free["freeMemoryMiB"] ?? 0) MiB and \(free["freeVCPUs"] ?? 0) vCPUs free")
            }
            return lines.joined(separator: "\n")
        }
    }
}

private func list(_ value: String?) -> [String]? {
    value.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// Parses `NAME=DEVICE:MOUNTPOINT` (exclusive) and `NAME=PATH` (shared) storage options.
func storageRequests(exclusive: [String], shared: [String]) throws -> [StorageRequest]? {
    var requests: [StorageRequest] = []
    for item in exclusive {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        let target = parts.count == 2 ? parts[1].split(separator: ":", maxSplits: 1).map(String.init) : []
        guard target.count == 2 else { throw ValidationError("--exclusive takes NAME=DEVICE:MOUNTPOINT, not '\(item)'") }
        requests.append(StorageRequest(name: parts[0], device: target[0], mountPoint: target[1]))
    }
    for item in shared {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("--shared takes NAME=PATH, not '\(item)'") }
        requests.append(StorageRequest(name: parts[0], path: parts[1]))
    }
    return requests.isEmpty ? nil : requests
}
