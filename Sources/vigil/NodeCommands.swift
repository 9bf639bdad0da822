import AgentAPI
import ArgumentParser

/// `vigil node list|show|drain|resume|abort-drain|reserve|unreserve`.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "List nodes, drain one for maintenance and return it to service, or make one a reserve host.",
        subcommands: [List.self, Show.self, Drain.self, Resume.self, AbortDrain.self, Reserve.self, Unreserve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every node with its state, capacity and groups.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try emit(try await options.client.status().nodes, options.output, text: StatusText.nodes)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one node.")
        @OptionGroup var options: GlobalOptions
        @Argument var node: String

        func run() async throws {
            try emit(try await options.client.find("node", node) { $0.node(node) }, options.output, text: StatusText.node)
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move every group off a node (live, then quick, then cold) and leave it paused.",
            discussion: "Waits until the drain ends, printing each group's progress; exit status 3 if it ends incomplete (groups left, "
                + "each named with why) or aborted. --dry-run prints what it would do and changes nothing.")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var wait: WaitOptions
        @Flag(help: "Print per group the target, method and estimated time, what cannot move and why, and N+x after; change nothing.")
        var dryRun = false
        @Option(help: "How long the drain may take (e.g. 45m, 2h); then its live migrations in flight are aborted and it ends incomplete. Default: the cluster's (coordinator.drain_deadline).")
        var deadline: String?
        @Argument var node: String

        func run() async throws {
            if dryRun {
                let plan = try await options.client.decode(DrainPlanView.self, .GET, AgentAPI.drainPlan(node))
                return try emit(plan, options.output, text: DrainPlanText.render)
            }
            let earlier = try await options.client.status().node(node)?.drain?.startedAt
            let accepted = try await NodeCommand.request(options, node, .drain, NodeRequest(deadline: deadline))
            var began = false
            try await StatusWait(options: options, wait: wait, defaultTimeout: 900).run(
                accepted: accepted,
                progress: { status in
                    status.groups.filter { $0.nodes.contains(node) }.flatMap {
                        ["\($0.name): \($0.status) on \($0.nodes.joined(separator: "->"))"] + GroupCommand.moveProgress($0, terminal: wait.terminal)
                    }
                },
                outcome: { status in
                    guard let n = status.node(node) else { return .failed("node \(node) is gone from the cluster") }
                    if n.state == "down" { return .failed("\(node) went down during its drain") }
                    if let drain = n.drain, let started = drain.startedAt, started != earlier {
                        guard let outcome = drain.outcome else { return nil }
                        let summary = "drain of \(node) \(drain.summary ?? outcome); \(node) is \(n.state)"
                        return outcome == "complete" ? .done(summary) : .partial(summary)
                    }
                    // A leader that records no drain start: judged by the node's state and groups.
                    if n.state == "draining" { began = true }
                    if n.groups.isEmpty, n.state == "paused" { return .done("drain of \(node) complete: every group left it; \(node) is paused") }
                    if began, n.state != "draining" {
                        return .partial("the drain of \(node) ended (\(n.state)) with groups left: \(n.groups.joined(separator: ", "))")
                    }
                    return nil
                },
                final: { $0.node(node) })
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a paused, draining or quarantined node to service.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Bring home the groups the node's last drain moved off (live where they allow), within the move budget.")
        var failback = false
        @Argument var node: String

        func run() async throws {
            let request = NodeRequest(failback: failback ? true : nil)
            try emit(try await NodeCommand.request(options, node, .resume, request), options.output) { $0.accepted }
        }
    }

    struct AbortDrain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "abort-drain", abstract: "Stop a drain: no further move starts and live migrations in flight are aborted (their guests keep running on the node); the node stays paused.")
        @OptionGroup var options: GlobalOptions
        @Argument var node: String

        func run() async throws {
            try emit(try await NodeCommand.request(options, node, .abortDrain), options.output) { $0.accepted }
        }
    }

    struct Reserve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a node a reserve host (a hot spare).",
            discussion: "A reserve host takes groups only when a failure or a drain leaves no room on any other node; "
                + "the leader moves them off it again, live, once room appears elsewhere. vigil capacity counts it.")
        @OptionGroup var options: GlobalOptions
        @Argument var node: String

        func run() async throws {
            try emit(try await NodeCommand.request(options, node, .reserve), options.output) { $0.accepted }
        }
    }

    struct Unreserve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a reserve host to ordinary placement.")
        @OptionGroup var options: GlobalOptions
        @Argument var node: String

        func run() async throws {
            try emit(try await NodeCommand.request(options, node, .unreserve), options.output) { $0.accepted }
        }
    }

    private static func request(_ options: GlobalOptions, _ node: String, _ action: NodeAction,
                                _ body: NodeRequest = NodeRequest()) async throws -> Accepted {
        try await options.client.decode(Accepted.self, .POST, AgentAPI.node(node, action), body: body)
    }
}
