import HACore
import XCTest

/// Placement: preferred order, possible owners, capacity with reserve, anti-affinity, spreading.
final class PlacementTests: XCTestCase {
    private func cluster(_ nodes: [Node]) -> ClusterLoad { ClusterLoad(nodes: nodes) }

    func testFirstAvailablePreferredOwnerWins() {
        let c = cluster([Fixture.node("n1", state: .down), Fixture.node("n2"), Fixture.node("n3")])
        let g = Fixture.group("g", policy: GroupPolicy(preferredOwners: ["n1", "n3", "n2"]))
        let d = Placement.choose(for: g, in: c)
        XCTAssertEqual(d.node, "n3")
        XCTAssertTrue(d.reason.contains("preferred owner #2"), d.reason)
    }

    func testPossibleOwnersCapacityAndReserveAreRespected() {
        var c = cluster([Fixture.node("n1", memory: 4096, reserve: 1024), Fixture.node("n2"), Fixture.node("n3", vcpus: 1)])
        let g = Fixture.group("g", memory: 3072, vcpus: 2, policy: GroupPolicy(possibleOwners: ["n1", "n3"]))
        XCTAssertEqual(Placement.choose(for: g, in: c).node, "n1")
        c.add(Fixture.group("other", memory: 1), to: "n1")
        let d = Placement.choose(for: g, in: c)
        XCTAssertNil(d.node)
        XCTAssertEqual(d.reason, "no node can take g (needs 3072 MiB, 2 vCPUs): n1 has 3071 MiB free, n2 not a possible owner, n3 has 1 vCPUs free")
    }

    func testLoadIsSpreadToTheNodeWithMostFreeMemory() {
        var c = cluster([Fixture.node("n1"), Fixture.node("n2"), Fixture.node("n3")])
        c.add(Fixture.group("a", memory: 2048), to: "n1")
        c.add(Fixture.group("b", memory: 1024), to: "n2")
        XCTAssertEqual(Placement.choose(for: Fixture.group("g"), in: c).node, "n3")
        XCTAssertEqual(Placement.choose(for: Fixture.group("g"), in: c, excluding: ["n3"]).node, "n2")
    }

    func testAntiAffinityIsSoftByDefaultAndStrictOnRequest() {
        let policy = GroupPolicy(preferredOwners: ["n1"], antiAffinityClasses: ["sql"])
        var c = cluster([Fixture.node("n1"), Fixture.node("n2")])
        c.add(Fixture.group("sql-a", policy: policy), to: "n1")
        let g = Fixture.group("sql-b", policy: policy)
        XCTAssertEqual(Placement.choose(for: g, in: c).node, "n2")
        c.add(Fixture.group("sql-c", policy: policy), to: "n2")
        XCTAssertEqual(Placement.choose(for: g, in: c).node, "n1", "soft: shares a node when nothing else fits")
        XCTAssertNil(Placement.choose(for: g, in: c, options: PlacementOptions(strictAntiAffinity: true)).node)
    }

    func testNodesThatDoNotAcceptGroupsAreSkipped() {
        var waiting = Fixture.node("n1")
        waiting.fenceDeadline = Fixture.at(10)
        let c = cluster([waiting, Fixture.node("n2", state: .paused), Fixture.node("n3", state: .draining),
                         Fixture.node("n4", state: .quarantined)])
        XCTAssertNil(Placement.choose(for: Fixture.group("g"), in: c).node)
    }
}
