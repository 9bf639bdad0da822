import ClusterSchema
import EtcdTestSupport
import Foundation
import HACoordination
import HACore
import XCTest
@testable import HAAgent

/// The leader shell keeps the coordinator's whole state (the lease-loss history that quarantines a
/// flapping host, pending wake-ups) across group changes and across a change of leader: real
/// shells, elections and memberships over the embedded store and over etcd.
final class LeaderShellTests: XCTestCase {
    /// Two lease losses within an hour quarantine a node, for `quarantineSeconds`.
    private func configuration(quarantineSeconds: Int64 = 3600) -> CoordinatorConfiguration {
        CoordinatorConfiguration(fencingMargin: .milliseconds(200), quarantine: ThresholdPolicy(threshold: 2, period: .hours(1)),
                                 quarantineDuration: .seconds(quarantineSeconds))
    }

    /// An embedded store in a temporary directory, closed and removed after the test.
    private func embeddedStore() throws -> EmbeddedStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-leader-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: .milliseconds(50))
        addTeardownBlock {
            await store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        return store
    }

    /// Leaders on `store`, stopped after the test (before the store goes, whether the test passed or not).
    private func cluster(on store: any CoordinationStore) -> LeaderTestCluster {
        let cluster = LeaderTestCluster(store: store)
        addTeardownBlock { await cluster.stop() }
        return cluster
    }

    func testAPolicyChangeKeepsTheLeaseLossHistoryOfAFlappingNode() async throws {
        let store = try embeddedStore()
        let cluster = cluster(on: store)
        try await cluster.define(policy: GroupPolicy(priority: .noAutoStart))
        let leader = try await cluster.startLeader("a", configuration: configuration())
        try await cluster.join("h2")
        try await cluster.flap("h2")
        var stored = try await StoredCoordinator.load(from: store)
        XCTAssertEqual(stored?.nodes["h2"]?.state, .up, "one lease loss does not quarantine")

        // An operator changes the group's policy: the leader redefines its groups.
        let changed = GroupPolicy(failover: ThresholdPolicy(threshold: 5, period: .hours(1)), priority: .noAutoStart)
        try await cluster.define(policy: changed)
        try await cluster.waitUntil("the leader to take the new policy") { _ in await leader.shell.coordinator.definitions["g"]?.policy == changed }

        try await cluster.flap("h2")
        stored = try await StoredCoordinator.load(from: store)
        XCTAssertEqual(stored?.nodes["h2"]?.state, .quarantined, "the lease loss before the policy change still counts")
        XCTAssertEqual(stored?.leaseLosses["h2"]?.times.count, 2)
    }

    func testANewLeaderOnTheEmbeddedStoreEndsAQuarantineItsPredecessorStartedAndKeepsItsHistory() async throws {
        try await leaderChangeKeepsTheQuarantine(on: try embeddedStore())
    }

    func testANewLeaderOnEtcdEndsAQuarantineItsPredecessorStartedAndKeepsItsHistory() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let store = try etcd.store()
        addTeardownBlock {
            try await store.close()
            etcd.stop()
        }
        try await leaderChangeKeepsTheQuarantine(on: store)
    }

    /// Leader a quarantines flapping h2; b takes over: it releases h2 when the quarantine ends (a
    /// wake-up a handed out), and quarantines it again on its next lease loss (a's history).
    private func leaderChangeKeepsTheQuarantine(on store: any CoordinationStore) async throws {
        let cluster = cluster(on: store)
        let configuration = configuration(quarantineSeconds: 4)
        let a = try await cluster.startLeader("a", configuration: configuration)
        let b = try await cluster.startLeader("b", configuration: configuration)
        try await cluster.join("h2")
        try await cluster.flap("h2")
        try await cluster.flap("h2")
        let quarantined = try await StoredCoordinator.load(from: store)
        XCTAssertEqual(quarantined?.nodes["h2"]?.state, .quarantined, "two lease losses within the hour")
        let until = try XCTUnwrap(quarantined?.nodes["h2"]?.quarantinedUntil)
        XCTAssertEqual(quarantined?.wakeups.contains(until), true, "its release is a pending wake-up")
        let leading = await a.election.token
        XCTAssertNotNil(leading, "a leads: it started first")

        await a.stop()  // leaves: its lease, and with it the leader key, goes at once
        try await cluster.waitUntil("b to lead") { _ in await b.election.token != nil }
        XCTAssertLessThan(Timestamp.wallClockNow, until, "b took over while h2 was quarantined (else the test proves nothing)")
        try await cluster.waitUntil("b to end the quarantine a started", timeout: 20) { $0.nodes["h2"]?.state == .up }
        XCTAssertGreaterThanOrEqual(Timestamp.wallClockNow, until)

        try await cluster.flap("h2")
        let third = try await StoredCoordinator.load(from: store)
        XCTAssertEqual(third?.nodes["h2"]?.state, .quarantined, "the lease losses seen by a count under b")
    }

    /// An operator's stop and reserve are the coordinator's stored state: a new leader keeps the
    /// group stopped (no start task for it) and the host reserved, also after that host's failure;
    /// each outcome is a decision record in the store.
    func testANewLeaderKeepsAStoppedGroupStoppedAndAReserveHostReserved() async throws {
        let store = try embeddedStore()
        let cluster = cluster(on: store)
        try await cluster.define(policy: GroupPolicy())
        let a = try await cluster.startLeader("a", configuration: configuration())
        let b = try await cluster.startLeader("b", configuration: configuration())
        try await cluster.join("h2")
        func send(_ event: ClusterEvent) async throws {
            let message = InboxMessage(sender: "test", body: .event(event))
            _ = try await store.put(ClusterKeys.inbox(message.id), try StoreCoding.encode(message))
        }
        try await cluster.waitUntil("g placed") { $0.states["g"]?.status.nodes.count == 1 }
        let placed = try await StoredCoordinator.load(from: store)
        let owner = try XCTUnwrap(placed?.states["g"]?.status.nodes.first)
        try await send(.stopRequested("g"))
        try await cluster.waitUntil("g going offline") { $0.states["g"]?.phase == .stopped(on: owner) }
        try await send(.groupOffline("g", on: owner))
        try await send(.reserveRequested("h2"))
        try await cluster.waitUntil("g stopped, h2 reserved") { $0.states["g"]?.phase == .stopped(on: nil) && $0.nodes["h2"]?.reserved == true }

        await a.stop()
        try await cluster.waitUntil("b to lead") { _ in await b.election.token != nil }
        try await cluster.flap("h2")
        try await send(.timerFired)
        try await cluster.waitUntil("the inbox drained by b") { _ in try await store.read(ClusterKeys.inbox).records.isEmpty }
        let loaded = try await StoredCoordinator.load(from: store)
        let stored = try XCTUnwrap(loaded)
        XCTAssertEqual(stored.states["g"]?.status, .stopped)
        XCTAssertEqual(stored.nodes["h2"]?.reserved, true, "a lost reserve host comes back a reserve host")
        for n: NodeID in ["a", "b", "h2"] {
            let starts = try await store.read(ClusterKeys.tasks(of: n)).readableValues().filter {
                if case .bringOnline = $0.step { true } else { false }
            }
            XCTAssertEqual(starts.map(\.group), [], "nothing starts the stopped group on \(n)")
        }
        let records = try await store.read(ClusterKeys.decisions).readableValues()
        XCTAssertTrue(records.contains { $0.trigger == "stop-requested g" && $0.kind == "take-offline" }, "\(records.map(\.trigger))")
        XCTAssertTrue(records.contains { $0.trigger == "group-offline g on \(owner)" && $0.reason.hasPrefix("g is stopped") })
        XCTAssertTrue(records.contains { $0.trigger == "reserve-requested h2" && $0.reason.hasPrefix("h2 is a reserve host") })
    }
}
