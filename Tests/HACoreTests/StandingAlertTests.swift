import HACore
import XCTest

/// What `vigil status` lists under Alerts, and a group's failure history and failover budget.
final class StandingAlertTests: XCTestCase {
    func testAlertsNameWhatNeedsAttentionMostSevereFirst() {
        let groups = [Fixture.group("a", memory: 6144), Fixture.group("b"), Fixture.group("c"), Fixture.group("d")]
        var c = ClusterCoordinator(
            nodes: [Fixture.node("n1"), Fixture.node("n2"), Fixture.node("n3", state: .quarantined)], groups: groups,
            states: ["a": GroupState(phase: .online("n1"), possibleHosts: ["n1"]), "b": GroupState(phase: .failed),
                     "c": GroupState(phase: .migrating(from: "n1", to: "n2", .live), possibleHosts: ["n1", "n2"]),
                     "d": GroupState(phase: .stopped(on: nil))])
        _ = c.handle(.leaseLost("n2"), at: Fixture.at(1))
        let alerts = c.standingAlerts(at: Fixture.at(2))
        XCTAssertEqual(alerts.map(\.message), [
            "n2 is lost: its groups wait until it is fenced",
            "b is failed (failed over too often): vigil group move b clears it",
            "n3 is quarantined (it lost its lease too often): it takes no groups until an operator resumes it",
            "N+1 not met: losing one node can leave a, b without room",
            "c: live migration n1 -> n2 in flight",
        ])
        XCTAssertEqual(alerts.map(\.severity), [.critical, .critical, .warning, .warning, .info])
        XCTAssertEqual(alerts.first?.subject, .node("n2"))
        XCTAssertEqual(alerts[3].subject, .cluster, "d, stopped by an operator, needs no room")
    }

    func testAnImpairedNodeIsAnAlertUntilItsAgentReportsItAble() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [Fixture.group("a")],
                                   states: ["a": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
        _ = c.handle(.nodeImpaired("n1", reason: "libvirtd does not answer (no answer within 10 s)"), at: Fixture.at(1))
        XCTAssertEqual(c.standingAlerts(at: Fixture.at(2)).map(\.message),
                       ["n1 cannot host groups now (libvirtd does not answer (no answer within 10 s)): it takes none; what runs there stays"])
        XCTAssertEqual(c.standingAlerts(at: Fixture.at(2)).first?.subject, .node("n1"))
        _ = c.handle(.nodeRestored("n1"), at: Fixture.at(3))
        XCTAssertEqual(c.standingAlerts(at: Fixture.at(4)), [])
    }

    func testAHealthyClusterHasNoAlerts() {
        let c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [Fixture.group("a")],
                                   states: ["a": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
        XCTAssertEqual(c.standingAlerts(at: Fixture.at(1)), [])
    }

    func testLastFailureAndFailoversLeft() {
        let policy = ThresholdPolicy(threshold: 2, period: .hours(1))
        var s = GroupState()
        XCTAssertNil(s.lastFailure)
        XCTAssertEqual(s.failoversLeft(policy, at: Fixture.at(10)), 2)
        s.failovers.record(Fixture.at(10))
        var restarts = SlidingWindow()
        restarts.record(Fixture.at(20))
        s.restarts = ["n1": restarts]
        XCTAssertEqual(s.lastFailure, FailureHistory(kind: .restart, node: "n1", at: Fixture.at(20)))
        XCTAssertEqual(s.failoversLeft(policy, at: Fixture.at(30)), 1)
        XCTAssertEqual(s.failoversLeft(policy, at: Fixture.at(10 + 3600)), 2, "a failover older than the period no longer counts")
        s.failovers.record(Fixture.at(40))
        XCTAssertEqual(s.lastFailure, FailureHistory(kind: .failover, node: nil, at: Fixture.at(40)))
    }
}
