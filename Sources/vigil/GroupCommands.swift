import AgentAPI
import ArgumentParser

/// `vigil group list|show|start|stop|move|policy|remove`.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group", abstract: "List, show, start, stop, move, configure or remove groups.",
        subcommands: [List.self, Show.self, Start.self, Stop.self, Move.self, Policy.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every group with its status and where it runs.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try emit(try await options.client.status().groups, options.output, text: StatusText.groups)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one group: status, nodes, VMs, policy, failovers left, last failure and recovery, last decisions.")
        @OptionGroup var options: GlobalOptions
        @Argument var group: String

        @Option(help: "How many of its last decisions to list (text output).") var events = 5

        func run() async throws {
            let view = try await options.client.find("group", group) { $0.group(group) }
            guard options.output == .text else { return try emit(view, .json) { _ in "" } }
            let recent = try await options.client.decode(DecisionPage.self, .GET, AgentAPI.events(group: group, limit: max(1, events))).events
            print(StatusText.group(view))
            print("last decisions:" + (recent.isEmpty ? " none recorded" : ""))
            for event in recent { print("  " + Events.line(event)) }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a group (or start an offline or failed one), to a node or to the best one; a stopped one: group start.",
            discussion: "Waits until the group is online on its new node, printing its progress; exit status 1 if it fails.")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var wait: WaitOptions
        @Argument var group: String
        @Option(help: "Target node (default: the best one).") var to: String?

        func run() async throws {
            let before = try await options.client.find("group", group) { $0.group(group) }
            let refusal = try await DecisionWatch.after(options.client, group: group, trigger: "move-requested \(group) ")
            let accepted = try await options.client.decode(Accepted.self, .POST, AgentAPI.move(group), body: MoveRequest(to: to))
            let from = before.status == "online" ? before.nodes : []
            try await StatusWait(options: options, wait: wait, defaultTimeout: 300).run(
                accepted: accepted,
                progress: { status in
                    status.group(group).map { ["\(group): \($0.status) on \(cell($0.nodes, separator: "->"))"] + moveProgress($0, terminal: wait.terminal) } ?? []
                },
                outcome: { status in
                    guard let g = status.group(group) else { return .failed("group \(group) was removed") }
                    if g.status == "failed" { return .failed("group \(group) failed: \(g.note ?? "see vigil group show \(group)")") }
                    guard g.status == "online", let here = g.nodes.first else { return nil }
                    if let to { return here == to ? .done("\(group) is online on \(here)") : nil }
                    return g.nodes != from ? .done("\(group) is online on \(here)") : nil
                },
                refusal: refusal,
                final: { $0.group(group) })
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a group offline (VMs, then configuration, then storage) and keep it offline until it is started.",
            discussion: "No failure handling, placement or failback starts a stopped group again. Waits until it is offline, "
                + "printing each VM's phase; exit status 1 if the leader refuses (a group in the middle of a migration).")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var wait: WaitOptions
        @Argument var group: String

        func run() async throws {
            _ = try await options.client.find("group", group) { $0.group(group) }
            let refusal = try await DecisionWatch.after(options.client, group: group, trigger: "stop-requested \(group)")
            let accepted = try await options.client.decode(Accepted.self, .POST, AgentAPI.stop(group))
            try await StatusWait(options: options, wait: wait, defaultTimeout: 300).run(
                accepted: accepted,
                progress: { status in GroupCommand.vmPhases(status, group, terminal: wait.terminal) },
                outcome: { status in
                    guard let g = status.group(group) else { return .failed("group \(group) was removed") }
                    return g.status == "stopped" ? .done("\(group) is stopped; it stays offline until vigil group start \(group)") : nil
                },
                refusal: refusal,
                final: { $0.group(group) })
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a stopped group, on a node (if it may run there and fits) or on the best one.",
            discussion: "Waits until it is online, printing each VM's phase; exit status 1 if the leader refuses "
                + "(the group is not stopped, or no node can host it: it then stays stopped).")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var wait: WaitOptions
        @Argument var group: String
        @Option(help: "The node to start it on (default: the best one).") var node: String?

        func run() async throws {
            let before = try await options.client.find("group", group) { $0.group(group) }
            let refusal = try await DecisionWatch.after(options.client, group: group, trigger: "start-requested \(group) ")
            let accepted = try await options.client.decode(Accepted.self, .POST, AgentAPI.start(group), body: StartRequest(node: node))
            try await StatusWait(options: options, wait: wait, defaultTimeout: 300).run(
                accepted: accepted,
                progress: { status in GroupCommand.vmPhases(status, group, terminal: wait.terminal) },
                outcome: { status in
                    guard let g = status.group(group) else { return .failed("group \(group) was removed") }
                    if g.status == "failed" { return .failed("group \(group) failed: see vigil group show \(group)") }
                    // Online already before the request: the leader refuses it (the group is not stopped).
                    guard before.status != "online", g.status == "online", let here = g.nodes.first else { return nil }
                    let elsewhere = node.map { $0 == here ? "" : " (not \($0): see vigil events --group \(group))" } ?? ""
                    return .done("\(group) is online on \(here)\(elsewhere)")
                },
                refusal: refusal,
                final: { $0.group(group) })
        }
    }

    /// One line per VM of the group: its phase and nodes, as `stop` and `start` print them while waiting.
    static func vmPhases(_ status: ClusterStatus, _ group: String, terminal: Bool) -> [String] {
        guard let g = status.group(group) else { return [] }
        let place = g.nodes.isEmpty ? "" : " on \(cell(g.nodes, separator: "->"))"
        return g.vms.map { "\($0): \(g.status)\(place)" } + moveProgress(g, terminal: terminal)
    }

    /// While the group's move is under way, each VM's part of it: the ladder's rung and the latest
    /// progress sample (data copied and remaining), or its save image.
    static func moveProgress(_ g: GroupView, terminal: Bool = false) -> [String] {
        guard let move = g.move, move.phase != "done", move.phase != "failed" else { return [] }
        if terminal { return move.vms.map { move.progressBar($0) } }
        return move.vms.compactMap { vm in
            let parts = [vm.rung, vm.progress, vm.image.map { "image \($0)" }].compactMap { $0 }
            return parts.isEmpty ? nil : "\(vm.name): \(move.method) \(move.from)->\(move.to) \(move.phase), " + parts.joined(separator: ", ")
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a group's failover policy (options left out stay as they are); with none, show it.")
        @OptionGroup var options: GlobalOptions
        @Argument var group: String
        @OptionGroup var policy: PolicyOptions

        func run() async throws {
            let request = policy.request
            if request == PolicyRequest() {
                let view = try await options.client.find("group", group) { $0.group(group) }
                try emit(view, options.output) { "group \($0.name): \($0.policy ?? "priority=\($0.priority)")" }
                return
            }
            let answer = try await options.client.decode(Accepted.self, .PUT, AgentAPI.policy(group), body: request)
            try emit(answer, options.output) { $0.accepted }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a group that runs nowhere (stop it first with vigil group stop).")
        @OptionGroup var options: GlobalOptions
        @Argument var group: String

        func run() async throws {
            let answer = try await options.client.decode(Accepted.self, .DELETE, AgentAPI.group(group))
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
    @Option(help: "Live-migration limits: default (the agents'), or e.g. completion-per-gib=60s,no-progress=30s,auto-converge=off,post-copy=on (post-copy loses the guest on a network failure).") var migration: String?
    @Option(help: "A guest paused on a disk I/O error: auto-resume (default: resumed, failed if still paused after the agents' grace), leave-paused or power-off.") var paused: String?

    /// The options as an API request: words "none" and "all" clear a list.
    var request: PolicyRequest {
        PolicyRequest(priority: priority, preferredOwners: cleared(preferred, "none"), possibleOwners: cleared(possible, "all"),
                      antiAffinity: cleared(antiAffinity, "none"), restart: restart, failover: failover, failback: failback,
                      migration: migration, paused: paused)
    }

    private func cleared(_ value: String?, _ word: String) -> [String]? { value == word ? [] : list(value) }
}
