import HACore
import XCTest

/// The coordinator and hosts whose agent reports they cannot host groups (libvirtd hung, storage
/// lost): no group is placed there, nothing that runs there is moved for it, and what fails there
/// fails over instead of restarting in place.
final class NodeImpairmentTests: XCTestCase {
    private var coordinator = ClusterCoordinator(nodes: [], groups: [])
    private var now = Timestamp.zero

    override func setUp() {
        let nodes = ["n1", "n2", "n3"].map { Node(id: NodeID($0), capacity: NodeCapacity(memoryMiB: 8192, vcpus: 8)) }
        coordinator = ClusterCoordinator(nodes: nodes, groups: [Fixture.group("a"), Fixture.group("b")],
                                         states: ["a": GroupState(phase: .online("n1"))])
        now = .zero
    }

    @discardableResult
    private func feed(_ event: ClusterEvent, after seconds: Int64 = 1) -> [Directive] {
        now = now + .seconds(seconds)
        return coordinator.handle(event, at: now)
    }

    private func placements(_ directives: [Directive]) -> [NodeID] {
        directives.compactMap { if case .bringOnline(_, let n, _, _) = $0.action { n } else { nil } }
    }

    func testAnImpairedHostTakesNoGroupsAndKeepsWhatRunsThere() {
        let nodes = ["n1", "n2", "n3"].map { Node(id: NodeID($0), capacity: NodeCapacity(memoryMiB: 8192, vcpus: 8)) }
        coordinator = ClusterCoordinator(nodes: nodes, groups: [Fixture.group("a"), Fixture.group("b")],
                                         states: ["a": GroupState(phase: .online("n2")), "b": GroupState(phase: .stopped(on: nil))])
        let impaired = feed(.nodeImpaired("n2", reason: "libvirtd does not answer")) + feed(.nodeImpaired("n3", reason: "shared storage fails"))
        XCTAssertFalse(impaired.contains { if case .takeOffline = $0.action { true } else { false } }, "what runs there stays")
        XCTAssertFalse(coordinator.nodes["n2"]!.acceptsGroups)
        XCTAssertEqual(placements(feed(.startRequested("b", on: nil))), ["n1"], "only the host that can host it")
        XCTAssertEqual(coordinator.states["a"]?.status, .online("n2"))
    }

    func testAGroupThatFailsOnAnImpairedHostFailsOverAtOnce() {
        feed(.nodeImpaired("n1", reason: "shared storage fails"))
        let failed = feed(.resourceFailed("a", "a-vm", on: "n1"))
        XCTAssertEqual(failed.map(\.action), [.takeOffline("a", on: "n1", order: ["a-vm"])], "no restart in place on a host that cannot host it")
        XCTAssertTrue(failed[0].reason.contains("cannot host groups now (shared storage fails)"), failed[0].reason)
        let placed = placements(feed(.groupOffline("a", on: "n1")))
        XCTAssertEqual(placed.count, 1)
        XCTAssertNotEqual(placed.first, "n1")
    }

    func testARestoredHostTakesGroupsAgain() {
        feed(.nodeImpaired("n2", reason: "libvirtd does not answer"))
        XCTAssertEqual(feed(.nodeRestored("n2")).map(\.action), [.raiseAlert(.info)])
        XCTAssertTrue(coordinator.nodes["n2"]!.acceptsGroups)
        XCTAssertEqual(feed(.nodeRestored("n2")).map(\.action), [], "restored twice: nothing to say")
    }

    func testTheImpairmentSurvivesTheSnapshot() throws {
        feed(.nodeImpaired("n2", reason: "libvirtd does not answer"))
        let data = try JSONEncoder().encode(coordinator.nodes["n2"]!)
        XCTAssertEqual(try JSONDecoder().decode(Node.self, from: data).impairment, "libvirtd does not answer")
        let healthy = try JSONEncoder().encode(coordinator.nodes["n1"]!)
        XCTAssertFalse(String(decoding: healthy, as: UTF8.self).contains("impairment"), "a healthy node is stored as before")
    }
}
