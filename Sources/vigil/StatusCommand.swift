import AgentAPI
import ArgumentParser

/// `vigil status`: leader, nodes and groups.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the leader, every node and every group.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try emit(try await options.client.status(), options.output, text: StatusText.cluster)
    }
}

extension AgentClient {
    /// The cluster as the leader last stored it.
    func status() async throws -> ClusterStatus {
        try await decode(ClusterStatus.self, .GET, AgentAPI.status)
    }

    /// One named item of the status, or a failure naming what is missing.
    func find<T>(_ kind: String, _ name: String, in pick: (ClusterStatus) -> T?) async throws -> T {
        guard let found = pick(try await status()) else { throw CLIError("no \(kind) named \(name)") }
        return found
    }
}
