import AgentAPI
import ArgumentParser

/// `vigil verify GROUP`: the agent moves the group to each possible owner in turn and back; waits
/// and prints each step (method, time, or the failure and why).
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a group: move it to each of its possible owners in turn, then back where it started.",
        discussion: "The agent runs it (it goes on if this command ends). Waits and prints each step: the method, the time, or the "
            + "failure and its reason. Exit status 0 if every owner worked, 1 if any failed or it was refused, 3 if it was aborted "
            + "(vigil verify --abort) or the wait timed out.")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var wait: WaitOptions
    @Argument var group: String
    @Flag(help: "Abort the verification under way: no further owner is visited; the group goes back where it started.")
    var abort = false

    func run() async throws {
        if abort {
            return try emit(try await options.client.decode(Accepted.self, .POST, AgentAPI.abortVerify(group)), options.output) { $0.accepted }
        }
        let earlier = try await options.client.find("group", group) { $0.group(group) }.verification?.startedAt
        let refusal = try await DecisionWatch.after(options.client, group: group, trigger: "verify-requested \(group)")
        let accepted = try await options.client.decode(Accepted.self, .POST, AgentAPI.verify(group))
        func mine(_ status: ClusterStatus) -> VerificationView? {
            status.group(group)?.verification.flatMap { $0.startedAt != earlier ? $0 : nil }
        }
        try await StatusWait(options: options, wait: wait, defaultTimeout: 1800).run(
            accepted: accepted,
            progress: { status in
                (mine(status)?.steps.map(Self.line) ?? []) + (status.group(group).map { GroupCommand.moveProgress($0, terminal: wait.terminal) } ?? [])
            },
            outcome: { status in
                guard let g = status.group(group) else { return .failed("group \(group) was removed") }
                guard let v = mine(status), let outcome = v.outcome else { return nil }
                let summary = "verify of \(group) \(outcome): \(v.steps.filter { $0.result == "ok" }.count) of \(v.steps.count) move(s) worked; "
                    + "\(group) is \(g.status) on \(cell(g.nodes, separator: "->"))" + (v.failure.map { " (\($0))" } ?? "")
                switch outcome {
                case "passed": return .done(summary)
                case "aborted": return .partial(summary)
                default: return .failed(summary)
                }
            },
            refusal: refusal,
            final: { mine($0) })
    }

    /// One step in one line: `n1->n2 live ok 2.4 s`, or the failure and why.
    static func line(_ s: VerificationView.Step) -> String {
        let head = "\(s.from)->\(s.to) \(s.method ?? "-")"
        switch s.result {
        case "ok": return head + " ok" + (s.seconds.map { " \(Self.seconds($0))" } ?? "")
        case "failed": return head + " FAILED: \(s.reason ?? "no reason recorded")"
        default: return head + " moving"
        }
    }

    private static func seconds(_ s: Double) -> String {
        let tenths = (s * 10).rounded() / 10
        return "\(tenths) s"
    }
}
