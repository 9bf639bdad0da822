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

    @Option(help: "Another host's agent, HOST:PORT of its TCP API, reached over TLS with the cluster secret (default: $VIGIL_HOST, else the local socket).")
    var host: String? = ProcessInfo.processInfo.environment["VIGIL_HOST"]

    @Option(help: "With --host: the file holding the cluster secret (default: $VIGIL_SECRET_FILE, else /etc/vigil/cluster.secret).")
    var secretFile: String = ProcessInfo.processInfo.environment["VIGIL_SECRET_FILE"] ?? "/etc/vigil/cluster.secret"

    @Option(help: "With --host: the CA certificate (PEM) that signed the agent's certificate (default: $VIGIL_CA_FILE, else the system's CAs).")
    var caFile: String? = ProcessInfo.processInfo.environment["VIGIL_CA_FILE"]

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    /// The local agent, or the one `--host` names (its secret read here: an unreadable one is a usage error).
    var client: AgentClient {
        get throws {
            guard let host, !host.isEmpty else { return AgentClient(socket: socket) }
            guard host.contains(":") else { throw CLIError("--host takes HOST:PORT (the agent's api.tcp_listen), not '\(host)'", status: .usage) }
            let secret: String
            do { secret = try String(contentsOfFile: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                throw CLIError("cannot read the cluster secret file \(secretFile) (--secret-file): \((error as NSError).localizedDescription)", status: .usage)
            }
            return AgentClient(.remote(host: host, secret: secret, caFile: caFile))
        }
    }
}

/// How a command prints its answer.
enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}
