import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging
import XCTest
@testable import HAAgent

/// Leader shells as agents run them (membership, election, shell) on one store, plus node records
/// that come and go as a flapping host's do, and a group written as the API writes it.
final class LeaderTestCluster: @unchecked Sendable {
    /// One agent's leadership half.
    final class Leader: @unchecked Sendable {
        let membership: Membership
        let election: Election
        let shell: LeaderShell
        var task: Task<Void, Never>?

        init(membership: Membership, election: Election, shell: LeaderShell) {
            self.membership = membership
            self.election = election
            self.shell = shell
        }

        /// Stops leading and leaves the cluster (as a graceful agent stop does).
        func stop() async {
            task?.cancel()
            await task?.value
            task = nil
            await membership.stop()
        }
    }

    private struct NoDomains: SelfFence {
        func stopHADomains(reason: String) async {}
    }

    let store: any CoordinationStore
    private var leaders: [Leader] = []
    private var logger: Logger

    init(store: any CoordinationStore) {
        self.store = store
        logger = Logger(label: "leader-shell-test")
        logger.logLevel = ProcessInfo.processInfo.environment["VIGIL_TEST_LOG"] == nil ? .critical : .info
    }

    func startLeader(_ node: NodeID, configuration: CoordinatorConfiguration) async throws -> Leader {
        let membership = Membership(store: store, record: NodeRecord(id: node, capacity: NodeCapacity(memoryMiB: 4096, vcpus: 4), version: "test"),
                                    configuration: MembershipConfiguration(ttlSeconds: 3, keepAliveInterval: .milliseconds(300),
                                                                           fenceMargin: .seconds(1)),
                                    selfFence: NoDomains(), logger: logger)
        let election = Election(store: store, candidate: node, key: ClusterKeys.leader, logger: logger)
        await membership.onFence { reason in await election.stepDown(reason: reason) }
        let shell = LeaderShell(node: node, store: store, election: election, membership: membership,
                                configuration: configuration, metrics: AgentMetrics(), logger: logger)
        try await membership.start()
        let leader = Leader(membership: membership, election: election, shell: shell)
        leader.task = Task { await shell.run() }
        leaders.append(leader)
        if leaders.count == 1 { try await waitUntil("\(node) to lead") { _ in await election.token != nil } }
        return leader
    }

    /// Writes group `g` (one small VM) with this policy, as the API does.
    func define(policy: GroupPolicy) async throws {
        let definition = try GroupDefinition(id: "g", resources: [.vm("g", memoryMiB: 128, vcpus: 1)], policy: policy)
        _ = try await store.put(ClusterKeys.group("g"), try StoreCoding.encode(GroupSpec(definition: definition)))
    }

    /// The node's record appears under a lease of its own; returns once the leader has taken it in.
    func join(_ node: NodeID) async throws {
        let lease = try await store.grantLease(ttlSeconds: 60)
        let record = NodeRecord(id: node, capacity: NodeCapacity(memoryMiB: 4096, vcpus: 4), version: "test")
        _ = try await store.put(ClusterKeys.node(node), try StoreCoding.encode(record), lease: lease.id)
        try await waitUntil("\(node) to join") { $0.nodes[node].map { $0.state != .down } ?? false }
    }

    /// The node's lease is lost (revoked, as the store expires it) and it joins again under a new one.
    func flap(_ node: NodeID) async throws {
        let record = try await store.get(ClusterKeys.node(node))
        let held = try XCTUnwrap(record?.lease, "\(node) holds no lease")
        try await store.revokeLease(held)
        try await waitUntil("\(node) to be lost") { $0.nodes[node]?.state == .down }
        try await join(node)
    }

    /// Polls the stored snapshot until `condition` holds.
    func waitUntil(_ what: String, timeout: Double = 10, _ condition: (CoordinatorSnapshot) async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try await StoredCoordinator.load(from: store), try await condition(s) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("timed out after \(timeout) s waiting for: \(what)")
        throw CancellationError()
    }

    /// Stops every leader (each stops once; later calls do nothing).
    func stop() async {
        for leader in leaders { await leader.stop() }
        leaders = []
    }
}
