import AgentAPI
import ArgumentParser
import Foundation

/// Options of the commands that wait for what they asked the leader to do.
struct WaitOptions: ParsableArguments {
    @Flag(help: "Return as soon as the leader has the request, without waiting for it to finish.")
    var noWait = false
    @Option(help: "Seconds to wait; after that the command ends with status 3 and the operation goes on in the cluster.")
    var timeout: Double?
    /// Draw as on a terminal even when standard output is not one (for tests of the progress bars).
    @Flag(name: .customLong("force-terminal"), help: .hidden)
    var forceTerminal = false

    /// Whether progress is drawn in place (bars redrawn on a terminal) or printed as plain lines.
    var terminal: Bool { forceTerminal || isatty(STDOUT_FILENO) == 1 }
}

/// How a wait ended, as seen in the status.
enum WaitOutcome: Equatable {
    case done(String)
    case failed(String)
    case partial(String)
}

/// Polls the cluster's status until an operation is over, printing each change of its progress.
struct StatusWait {
    let options: GlobalOptions
    let wait: WaitOptions
    /// The timeout when `--timeout` is not given.
    let defaultTimeout: Double
    /// How often the status is read.
    var interval: Duration = .milliseconds(500)

    /// Waits (unless `--no-wait`) and ends with the outcome's exit status. `progress` gives the lines
    /// to print for a status; `outcome` says whether the operation is over. In JSON output nothing
    /// is printed while waiting, and `final` picks what is printed at the end.
    /// `refusal` reads the decisions made since the request: an alert answering it ends the wait as failed.
    func run<Final: Encodable>(accepted: Accepted, progress: (ClusterStatus) -> [String], outcome: (ClusterStatus) -> WaitOutcome?,
                               refusal: DecisionWatch? = nil, final: (ClusterStatus) -> Final?) async throws {
        var refusal = refusal
        if wait.noWait || options.output == .text { try emit(accepted, options.output) { $0.accepted } }
        if wait.noWait { return }
        let deadline = ContinuousClock.now + .seconds(wait.timeout ?? defaultTimeout)
        var shown: [String] = []
        while true {
            let status = try await options.client.status()
            let lines = progress(status)
            if options.output == .text, lines != shown {
                if wait.terminal {
                    print(Self.redraw(shown, with: lines), terminator: "")
                } else {
                    for line in lines where !shown.contains(line) { print("  " + line) }
                }
                shown = lines
            }
            if let end = outcome(status) { return try finish(end, final(status)) }
            if let reason = try await refusal?.refused(options.client) { return try finish(.failed(reason), final(status)) }
            if ContinuousClock.now >= deadline {
                return try finish(.partial("not finished after \(Int(wait.timeout ?? defaultTimeout)) s; it goes on in the cluster"),
                                  final(status))
            }
            try await Task.sleep(for: interval)
        }
    }

    /// On a terminal: the cursor goes back up over the lines drawn last, clears them, and draws the new ones.
    static func redraw(_ shown: [String], with lines: [String]) -> String {
        (shown.isEmpty ? "" : "\u{1B}[\(shown.count)A") + "\r\u{1B}[J" + lines.map { "  " + $0 + "\n" }.joined()
    }

    private func finish(_ end: WaitOutcome, _ value: (some Encodable)?) throws {
        if options.output == .json, let value { try emit(value, .json) { _ in "" } }
        switch end {
        case .done(let message):
            if options.output == .text { print(message) }
        case .failed(let message):
            throw CLIError(message, status: .failed)
        case .partial(let message):
            throw CLIError(message, status: .partial)
        }
    }
}

/// Decisions made after a request, read while waiting for it: a warning alert that answers the
/// request (its trigger) means the leader refused it.
struct DecisionWatch {
    let group: String
    /// The request's trigger as decisions name it, e.g. `move-requested web to=h2`.
    let triggerPrefix: String
    var cursor: String

    /// Starts reading after the newest decision about `group` now.
    static func after(_ client: AgentClient, group: String, trigger: String) async throws -> DecisionWatch {
        let page = try await client.decode(DecisionPage.self, .GET, AgentAPI.events(group: group, limit: 1))
        return DecisionWatch(group: group, triggerPrefix: trigger, cursor: page.cursor ?? "")
    }

    /// The reason of a refusal made since the last call, if any.
    mutating func refused(_ client: AgentClient) async throws -> String? {
        let page = try await client.decode(DecisionPage.self, .GET, AgentAPI.events(group: group, after: cursor, limit: 2_000))
        cursor = page.cursor ?? cursor
        return page.events.first { $0.kind == "alert" && $0.severity != "info" && $0.trigger.hasPrefix(triggerPrefix) }?.reason
    }
}
