import HACoordination
import HACore
import XCTest
@testable import HAAgent

/// The coordinator's state in the store: one key for the nodes, one per group, rewritten only when changed.
final class StoredCoordinatorTests: XCTestCase {
    private func coordinator(groups: [String]) throws -> ClusterCoordinator {
        let definitions = try groups.map { try GroupDefinition(id: GroupID($0), resources: [.vm($0, memoryMiB: 128, vcpus: 1)]) }
        return ClusterCoordinator(nodes: [Node(id: "h1", capacity: NodeCapacity(memoryMiB: 4096, vcpus: 4))], groups: definitions)
    }

    func testOnlyChangedGroupsAreWritten() throws {
        var c = try coordinator(groups: ["a", "b", "c"])
        let first = StoredCoordinator()
        let initial = try first.writes(toReach: StoredCoordinator(c))
        XCTAssertEqual(initial.count, 4, "the nodes and three groups")
        let stored = StoredCoordinator(c)
        _ = c.handle(.timerFired, at: Timestamp(milliseconds: 1_000))  // places the groups: every state changes
        let placed = try stored.writes(toReach: StoredCoordinator(c))
        XCTAssertEqual(placed.count, 3, "three group states changed, the nodes did not")
        XCTAssertEqual(try StoredCoordinator(c).writes(toReach: StoredCoordinator(c)), [], "nothing changed, nothing written")
    }

    func testRemovedGroupIsDeletedAndStateSurvivesAStore() async throws {
        var c = try coordinator(groups: ["a", "b"])
        _ = c.handle(.timerFired, at: Timestamp(milliseconds: 1_000))
        let store = try EmbeddedStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("sc-\(UUID().uuidString).sqlite").path)
        let ops = try StoredCoordinator().writes(toReach: StoredCoordinator(c))
        _ = try await store.transaction(Transaction(compare: [], success: ops))
        let loaded = try await StoredCoordinator.load(from: store)
        XCTAssertEqual(loaded, StoredCoordinator(c))
        let withoutB = loaded!.coordinator(configuration: CoordinatorConfiguration(), groups: [try GroupDefinition(id: "a", resources: [.vm("a", memoryMiB: 128, vcpus: 1)])])
        XCTAssertEqual(try loaded!.writes(toReach: StoredCoordinator(withoutB)), [.delete(StoredCoordinator.groupsPrefix + "b")])
        await store.close()
    }
}
