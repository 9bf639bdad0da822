import HACore
import XCTest

/// The agent-side instance restarts in place within the threshold, then escalates; the coordinator fails over.
final class LocalResourceManagerTests: XCTestCase {
    func testRestartsInPlaceThenEscalatesAndTheCoordinatorFailsOver() {
        var local = LocalResourceManager(node: "n1")
        local.groupArrived("g", restartPolicy: ThresholdPolicy(threshold: 2, period: .minutes(10)))
        guard case .restart(_, _, 1, _) = local.resourceFailed("g", "g-vm", at: Fixture.at(0)),
              case .restart(_, _, 2, _) = local.resourceFailed("g", "g-vm", at: Fixture.at(60)),
              case .escalate(let event, let reason) = local.resourceFailed("g", "g-vm", at: Fixture.at(120))
        else { return XCTFail("expected two restarts, then an escalation") }
        XCTAssertEqual(event, .restartsExhausted("g", "g-vm", on: "n1"))
        XCTAssertTrue(reason.contains("after 2 restart(s) within 10m"), reason)
        // Ten minutes after the first failure, one restart is allowed again.
        guard case .restart(_, _, 2, _) = local.resourceFailed("g", "g-vm", at: Fixture.at(601)) else { return XCTFail() }

        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")],
                                   groups: [Fixture.group("g", policy: GroupPolicy(preferredOwners: ["n1"]))])
        _ = c.handle(.timerFired, at: .zero)
        _ = c.handle(.groupOnline("g", on: "n1"), at: Fixture.at(1))
        XCTAssertEqual(c.handle(event, at: Fixture.at(120)).map(\.action), [.takeOffline("g", on: "n1", order: ["g-vm"])])
        let failover = c.handle(.groupOffline("g", on: "n1"), at: Fixture.at(121)).map(\.action)
        XCTAssertEqual(failover, [.bringOnline("g", on: "n2", order: ["g-vm"], cause: .failover)])
    }

    func testFailuresDuringAMigrationAreLeftToTheCoordinatorWithTheBudgetLeft() {
        var local = LocalResourceManager(node: "n1")
        local.groupArrived("g", restartPolicy: ThresholdPolicy(threshold: 1, period: .minutes(10)))
        local.moveStarted("g")
        guard case .escalate(.resourceFailed("g", "x", on: "n1"), _) = local.resourceFailed("g", "x", at: .zero) else {
            return XCTFail("a failure during a migration is the coordinator's")
        }
        local.restartOrdered("g", at: Fixture.at(1))
        guard case .escalate(.restartsExhausted("g", "x", on: "n1"), _) = local.resourceFailed("g", "x", at: Fixture.at(2)) else {
            return XCTFail("the coordinator's restart used the budget up")
        }
        local.moveEnded("g")
        guard case .escalate(.restartsExhausted, _) = local.resourceFailed("g", "x", at: Fixture.at(3)) else { return XCTFail() }
    }

    func testAGroupNotKnownHereIsLeftToTheCoordinator() {
        var local = LocalResourceManager(node: "n1")
        guard case .escalate(.resourceFailed("g", "x", on: "n1"), _) = local.resourceFailed("g", "x", at: .zero) else {
            return XCTFail("unknown groups escalate as a plain failure")
        }
    }
}
