import AgentAPI
import ArgumentParser
import Foundation

/// `vigil`: drives a Vigil cluster through the local agent, or another host's over TLS.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Drive a Vigil high-availability cluster of KVM hosts.",
        discussion: """
            Commands are NOUN VERB, as in `vigil group move web --to h2`. Every command that prints data takes \
            `--output json`, which prints the agent API's own types.

            Another host's agent: `vigil --host h2:7480 --ca-file /etc/vigil/tls/ca.crt status` talks to its TCP API \
            over TLS with the cluster secret (--secret-file, or a client certificate: --cert-file and --key-file); \
            VIGIL_HOST, VIGIL_SECRET_FILE, VIGIL_CA_FILE, VIGIL_CERT_FILE and VIGIL_KEY_FILE set the same.

            \(ExitStatus.help)

            Shell completion: `vigil --generate-completion-script bash > /etc/bash_completion.d/vigil` \
            (also zsh and fish).
            """,
        version: VigilVersion.current,
        subcommands: [Status.self, NodeCommand.self, GroupCommand.self, VMCommand.self, VerifyCommand.self, Events.self, Capacity.self])

    /// Parses and runs a command, then exits with one of the documented statuses.
    static func main() async {
        var command: any ParsableCommand
        do { command = try parseAsRoot(commandFirst(Array(CommandLine.arguments.dropFirst()))) } catch { ExitStatus.exit(parsing: error) }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch { ExitStatus.exit(running: error) }
        Foundation.exit(ExitStatus.ok.rawValue)
    }
}

extension Vigil {
    /// Options every command takes, which may also come before the command (`vigil --host h2:7480 status`).
    static let globalOptions: Set<String> = ["--host", "--secret-file", "--ca-file", "--cert-file", "--key-file", "--socket", "--output"]

    /// The arguments with the global options given before the command moved after it, where each
    /// command reads them.
    static func commandFirst(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first, globalOptions.contains(String(first.prefix { $0 != "=" })) {
            leading.append(first)
            rest = rest.dropFirst()
            if !first.contains("="), let value = rest.first {
                leading.append(value)
                rest = rest.dropFirst()
            }
        }
        return Array(rest) + leading
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The local agent's unix socket (default: $VIGIL_SOCKET, else \(AgentAPI.defaultSocket)).")
    var socket: String?

    @Option(help: "Another host's agent, HOST:PORT of its TCP API, reached over TLS with the cluster secret (default: $VIGIL_HOST, else the local socket).")
    var host: String?

    @Option(help: "With --host: the file holding the cluster secret (default: $VIGIL_SECRET_FILE, else /etc/vigil/cluster.secret; not needed with --cert-file).")
    var secretFile: String?

    @Option(help: "With --host: the CA certificate (PEM) that signed the agent's certificate (default: $VIGIL_CA_FILE, else the system's CAs).")
    var caFile: String?

    @Option(help: "With --host: a client certificate (PEM), for an agent with api.tls.client_ca (default: $VIGIL_CERT_FILE).")
    var certFile: String?

    @Option(help: "With --cert-file: its private key (PEM) (default: $VIGIL_KEY_FILE).")
    var keyFile: String?

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    /// An option's value, else its environment variable's.
    private func given(_ option: String?, _ variable: String) -> String? {
        option ?? ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The local agent, or the one `--host` names (its secret read here: an unreadable one is a usage error).
    var client: AgentClient {
        get throws {
            guard host == nil || socket == nil else { throw CLIError("--host and --socket exclude each other", status: .usage) }
            // An explicit --socket wins over $VIGIL_HOST; an explicit --host over $VIGIL_SOCKET.
            let local = socket ?? given(nil, "VIGIL_SOCKET") ?? AgentAPI.defaultSocket
            guard let host = host ?? (socket == nil ? given(nil, "VIGIL_HOST") : nil) else { return AgentClient(socket: local) }
            let caFile = given(caFile, "VIGIL_CA_FILE")
            let certFile = given(certFile, "VIGIL_CERT_FILE"), keyFile = given(keyFile, "VIGIL_KEY_FILE")
            guard host.contains(":") else { throw CLIError("--host takes HOST:PORT (the agent's api.tcp_listen), not '\(host)'", status: .usage) }
            guard (certFile == nil) == (keyFile == nil) else { throw CLIError("--cert-file and --key-file go together", status: .usage) }
            let certificate = certFile.flatMap { file in keyFile.map { (file: file, key: $0) } }
            // A client certificate may stand in for the secret; a secret file named explicitly is always read.
            let file = given(secretFile, "VIGIL_SECRET_FILE") ?? (certificate == nil ? "/etc/vigil/cluster.secret" : nil)
            var secret: String?
            if let file {
                do { secret = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                    throw CLIError("cannot read the cluster secret file \(file) (--secret-file): \((error as NSError).localizedDescription)", status: .usage)
                }
            }
            return AgentClient(.remote(host: host, secret: secret, caFile: caFile, certificate: certificate))
        }
    }
}

/// How a command prints its answer.
enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}
