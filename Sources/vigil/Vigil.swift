import AgentAPI
import ArgumentParser
import Foundation

/// `vigil`: drives a Vigil cluster through the local agent.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Drive a Vigil high-availability cluster of KVM hosts.",
        subcommands: [Status.self, VM.self, Group.self, Node.self, Capacity.self])
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
