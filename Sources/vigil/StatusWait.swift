import AgentAPI
import ArgumentParser
import Foundation

/// Options of the commands that wait for what they asked the leader to do.
struct WaitOptions: ParsableArguments {
    @Flag(help: "Return as soon as the leader has the request, without waiting for it to finish.")
    var noWait = false
    @Option(help: "Seconds to wait; after that the command ends with status 3 and the operation goes on in the cluster.")
    var timeout: Double?
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
    func run<Final: Encodable>(accepted: Accepted, progress: (ClusterStatus) -> [String], outcome: (ClusterStatus) -> WaitOutcome?,
                               final: (ClusterStatus) -> Final?) async throws {
        if wait.noWait || options.output == .text { try emit(accepted, options.output) { $0.accepted } }
        if wait.noWait { return }
        let deadline = ContinuousClock.now + .seconds(wait.timeout ?? defaultTimeout)
        var shown: [String] = []
        while true {
            let status = try await options.client.status()
            let lines = progress(status)
            if options.output == .text, lines != shown {
                for line in lines where !shown.contains(line) { print("  " + line) }
                shown = lines
            }
            if let end = outcome(status) { return try finish(end, final(status)) }
            if ContinuousClock.now >= deadline {
                return try finish(.partial("not finished after \(Int(wait.timeout ?? defaultTimeout)) s; it goes on in the cluster"),
                                  final(status))
            }
            try await Task.sleep(for: interval)
        }
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
