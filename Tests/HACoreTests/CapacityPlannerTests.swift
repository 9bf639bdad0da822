import HACore
import XCTest

/// Capacity planning: headroom, what-if for named nodes, and N+x loss tolerance.
final class CapacityPlannerTests: XCTestCase {
    private let nodes = [Fixture.node("n1", memory: 8192), Fixture.node("n2", memory: 8192), Fixture.node("n3", memory: 4096)]
    private let groups = [Fixture.group("a", memory: 4096), Fixture.group("b", memory: 4096), Fixture.group("c", memory: 2048),
                          Fixture.group("manual", memory: 1024, policy: GroupPolicy(priority: .noAutoStart))]
    private var planner: CapacityPlanner {
        CapacityPlanner(nodes: nodes, groups: groups, owners: ["a": "n1", "b": "n2", "c": "n3"])
    }

    func testHeadroomPerNode() {
        XCTAssertEqual(planner.headroom().map(\.freeMemoryMiB), [4096, 4096, 2048])
    }

    func testWhatIfNamedNodesFail() {
        let r = planner.whatIf(failing: ["n1"])
        XCTAssertEqual(r.placements, ["a": "n2"])
        XCTAssertTrue(r.allPlaced)
        let both = planner.whatIf(failing: ["n1", "n2"])
        XCTAssertEqual(Set(both.unplaced.keys), ["a", "b"])
        XCTAssertNil(both.placements["manual"], "no-auto-start groups are never placed")
    }

    func testLossTolerance() {
        let one = planner.lossTolerance(count: 1)
        XCTAssertTrue(one.survives)
        XCTAssertEqual(one.combinationsChecked, 3)
        XCTAssertTrue(one.exhaustive)
        let two = planner.lossTolerance(count: 2)
        XCTAssertFalse(two.survives)
        XCTAssertEqual(two.groupsAtRisk, ["a", "b", "c"])
        let limited = planner.lossTolerance(count: 2, limit: 1)
        XCTAssertFalse(limited.exhaustive)
        XCTAssertEqual(limited.totalCombinations, 3)
    }
}
