import AgentAPI
import ArgumentParser

/// `vigil status`: quorum and leader, nodes, groups and standing alerts.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show quorum and the leader, every node and group, and what needs attention.",
        discussion: "Nodes: state, reserve host, memory and vCPUs used/free, VM count, quarantine end. Groups: status (stopped: "
            + "by an operator), owner, preferred owners, failovers left, last failure. Alerts: failed groups, lost or quarantined "
            + "nodes, N+1 not met, moves in flight.")
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
