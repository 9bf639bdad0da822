import AgentAPI
import ArgumentParser
import Foundation

/// `vigil`: drives a Vigil cluster through the local agent.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Drive a Vigil high-availability cluster of KVM hosts.",
        discussion: """
            Commands are NOUN VERB, as in `vigil group move web --to h2`. Every command that prints data takes \
            `--output json`, which prints the agent API's own types.

            \(ExitStatus.help)

            Shell completion: `vigil --generate-completion-script bash > /etc/bash_completion.d/vigil` \
            (also zsh and fish).
            """,
        version: VigilVersion.current,
        subcommands: [Status.self, NodeCommand.self, GroupCommand.self, VMCommand.self, Events.self, Capacity.self])

    /// Parses and runs a command, then exits with one of the documented statuses.
    static func main() async {
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { ExitStatus.exit(parsing: error) }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch { ExitStatus.exit(running: error) }
        Foundation.exit(ExitStatus.ok.rawValue)
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The local agent's unix socket (default: $VIGIL_SOCKET, else \(AgentAPI.defaultSocket)).")
    var socket: String = ProcessInfo.processInfo.environment["VIGIL_SOCKET"] ?? AgentAPI.defaultSocket

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    var client: AgentClient { AgentClient(socket: socket) }
}

/// How a command prints its answer.
enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}
