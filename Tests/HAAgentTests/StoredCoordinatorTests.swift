import ClusterSchema
import Foundation
import HACoordination
import HACore
import XCTest
@testable import HAAgent

/// The coordinator's snapshot in the store: one key for the nodes, one per group, one each for the lease-loss
/// history and the pending wake-ups, rewritten only when changed; older records still load.
final class StoredCoordinatorTests: XCTestCase {
    private func coordinator(groups: [String]) throws -> ClusterCoordinator {
        let definitions = try groups.map { try GroupDefinition(id: GroupID($0), resources: [.vm($0, memoryMiB: 128, vcpus: 1)]) }
        return ClusterCoordinator(nodes: [Node(id: "h1", capacity: NodeCapacity(memoryMiB: 4096, vcpus: 4))], groups: definitions)
    }

    func testOnlyChangedGroupsAreWritten() throws {
        var c = try coordinator(groups: ["a", "b", "c"])
        let initial = try StoredCoordinator.writes(from: CoordinatorSnapshot(), toReach: c.snapshot)
        XCTAssertEqual(initial.count, 4, "the nodes and three groups")
        let stored = c.snapshot
        _ = c.handle(.timerFired, at: Timestamp(milliseconds: 1_000))  // places the groups: every state changes
        let placed = try StoredCoordinator.writes(from: stored, toReach: c.snapshot)
        XCTAssertEqual(placed.count, 3, "three group states changed, the nodes did not")
        XCTAssertEqual(try StoredCoordinator.writes(from: c.snapshot, toReach: c.snapshot), [], "nothing changed, nothing written")
    }

    func testRemovedGroupIsDeletedAndStateSurvivesAStore() async throws {
        var c = try coordinator(groups: ["a", "b"])
        _ = c.handle(.timerFired, at: Timestamp(milliseconds: 1_000))
        let store = try EmbeddedStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("sc-\(UUID().uuidString).sqlite").path)
        let ops = try StoredCoordinator.writes(from: CoordinatorSnapshot(), toReach: c.snapshot)
        _ = try await store.transaction(Transaction(compare: [], success: ops))
        let loaded = try await StoredCoordinator.load(from: store)
        XCTAssertEqual(loaded, c.snapshot)
        let withoutB = ClusterCoordinator(groups: [try GroupDefinition(id: "a", resources: [.vm("a", memoryMiB: 128, vcpus: 1)])], restoring: loaded!)
        XCTAssertEqual(try StoredCoordinator.writes(from: loaded!, toReach: withoutB.snapshot), [.delete(ClusterKeys.Coordinator.group("b"))])
        await store.close()
    }

    /// What agents before the snapshot stored (nodes and group states only), verbatim.
    private static let olderRecords = [
        ClusterKeys.Coordinator.nodes: #"[{"capacity":{"memoryMiB":4096,"reservedMemoryMiB":0,"vcpus":4},"id":"h1","state":"up"},"#
            + #"{"capacity":{"memoryMiB":4096,"reservedMemoryMiB":0,"vcpus":4},"id":"h2","state":"quarantined"}]"#,
        ClusterKeys.Coordinator.group("web"): #"{"failedDuringMoveExhausted":false,"failovers":{"times":[]},"possibleHosts":["h1"],"#
            + #""recovering":false,"restarts":["h1",{"times":[{"milliseconds":3000}]}],"startRequested":false,"status":{"online":{"_0":"h1"}}}"#,
        // Failed on h2 and stopped there: its next start is a failover, away from h2.
        ClusterKeys.Coordinator.group("db"): #"{"avoid":"h2","failedDuringMoveExhausted":false,"failovers":{"times":[]},"possibleHosts":[],"#
            + #""recovering":true,"restarts":[],"startRequested":false,"status":{"offline":{}}}"#,
    ]

    func testRecordsOfAnOlderAgentStillLoadAndAnUpgradedLeaderCarriesOnFromThem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: .milliseconds(50))
        let cluster = LeaderTestCluster(store: store)
        addTeardownBlock {
            await cluster.stop()
            await store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        for (key, value) in Self.olderRecords { _ = try await store.put(key, Array(value.utf8)) }
        let web = try GroupDefinition(id: "web", resources: [.vm("web", memoryMiB: 128, vcpus: 1)])
        _ = try await store.put(ClusterKeys.group("web"), try StoreCoding.encode(GroupSpec(definition: web)))

        let older = try await StoredCoordinator.load(from: store)
        let loaded = try XCTUnwrap(older)
        XCTAssertEqual(loaded.nodes["h2"]?.state, .quarantined)
        XCTAssertEqual(loaded.states["web"]?.status, .online("h1"))
        XCTAssertEqual(loaded.states["web"]?.restarts["h1"]?.times, [Timestamp(milliseconds: 3000)])
        XCTAssertEqual(loaded.states["db"]?.phase, .offline(GroupState.Pending(recovering: GroupState.Recovering(avoid: "h2"))),
                       "the older flags read as the phase they described")
        XCTAssertEqual(loaded.leaseLosses, [:], "no history was kept then")
        XCTAssertEqual(loaded.wakeups, [])

        // An upgraded agent leads: it keeps what was stored and stores the rest alongside.
        _ = try await cluster.startLeader("a", configuration: CoordinatorConfiguration())
        try await cluster.waitUntil("the new leader to give h1 and h2 a start-up grace") { s in
            s.nodes["h1"]?.unconfirmedUntil != nil && s.nodes["h2"]?.unconfirmedUntil != nil
        }
        let stored = try await StoredCoordinator.load(from: store)
        let upgraded = try XCTUnwrap(stored)
        XCTAssertEqual(upgraded.nodes["h2"]?.state, .quarantined)
        XCTAssertEqual(upgraded.states["web"], loaded.states["web"], "the group waits on h1, its restart counted")
        XCTAssertEqual(upgraded.wakeups, Set(["h1", "h2"].compactMap { upgraded.nodes[$0]?.unconfirmedUntil }), "the graces' ends, now stored")
    }
}
