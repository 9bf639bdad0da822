import Foundation
import HACore
import XCTest

/// The coordinator alone: a failed node's groups move only once it is fenced, in priority order.
final class CoordinatorFencingTests: XCTestCase {
    private func started() -> ClusterCoordinator {
        var c = ClusterCoordinator(configuration: CoordinatorConfiguration(fencingMargin: .seconds(20)),
                                   nodes: [Fixture.node("n1"), Fixture.node("n2")],
                                   groups: [Fixture.group("low", policy: GroupPolicy(preferredOwners: ["n1"], priority: .low)),
                                            Fixture.group("high", policy: GroupPolicy(preferredOwners: ["n1"], priority: .high))])
        for d in c.handle(.timerFired, at: .zero) {
            if case .bringOnline(let g, let n, _, _) = d.action { _ = c.handle(.groupOnline(g, on: n), at: Fixture.at(1)) }
        }
        return c
    }

    private func starts(_ ds: [Directive]) -> [String] {
        ds.compactMap { if case .bringOnline(let g, let n, _, let cause) = $0.action { "\(g)@\(n):\(cause.rawValue)" } else { nil } }
    }

    func testGroupsWaitForTheFencingMarginThenMoveInPriorityOrder() {
        var c = started()
        XCTAssertEqual(c.owners, ["low": "n1", "high": "n1"])
        let lost = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        XCTAssertEqual(lost.map(\.action), [.fenceNode("n1"), .waitUntil(Fixture.at(120))])
        XCTAssertTrue(lost[0].reason.contains("2 group(s) wait for it (high, low)"), lost[0].reason)
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(119))), [], "no move before the margin ends")
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(120))), ["high@n2:failover", "low@n2:failover"])
    }

    func testAConfirmedFenceEndsTheWaitEarly() {
        var c = started()
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        XCTAssertEqual(starts(c.handle(.nodeFenced("n1"), at: Fixture.at(103))), ["high@n2:failover", "low@n2:failover"])
    }

    func testANodeRejoiningBeforeItsFenceTakesGroupsOnlyOnceFencedAndConfirmedEmpty() {
        var c = started()
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        _ = c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(105))
        XCTAssertFalse(c.nodes["n1"]!.acceptsGroups)
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(110))), [])
        // The new incarnation might have received directives sent before the loss was known: stop there first.
        let stops = c.handle(.timerFired, at: Fixture.at(120)).map(\.action).filter {
            if case .takeOffline = $0 { true } else { false }
        }
        XCTAssertEqual(stops, [.takeOffline("high", on: "n1", order: ["high-vm"]), .takeOffline("low", on: "n1", order: ["low-vm"])])
        XCTAssertEqual(starts(c.handle(.groupOffline("high", on: "n1"), at: Fixture.at(121))), ["high@n1:failover"],
                       "confirmed empty: n1 is again the preferred owner")
    }

    func testStoredStateRoundTripsAndContinuesIdentically() throws {
        var c = started()
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        var restored = try JSONDecoder().decode(ClusterCoordinator.self, from: JSONEncoder().encode(c))
        XCTAssertEqual(c.handle(.timerFired, at: Fixture.at(120)), restored.handle(.timerFired, at: Fixture.at(120)))
    }

    func testEventsDirectivesAndIdentifiersEncodeForAShell() throws {
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(NodeID("n1")), as: UTF8.self), "\"n1\"")
        let e = ClusterEvent.moveFailed("g", .live, from: "n1", runningOn: nil)
        XCTAssertEqual(try JSONDecoder().decode(ClusterEvent.self, from: JSONEncoder().encode(e)), e)
        let d = Directive(.liveMigrate("g", from: "n1", to: "n2"), reason: "drain")
        XCTAssertEqual(try JSONDecoder().decode(Directive.self, from: JSONEncoder().encode(d)), d)
    }

    func testUnknownNamesRaiseAnAlertAndChangeNothing() {
        var c = started()
        let before = c.states
        let ds = c.handle(.resourceFailed("nope", "x", on: "n1"), at: Fixture.at(5))
        XCTAssertEqual(ds.map(\.action), [.raiseAlert(.warning)])
        XCTAssertEqual(ds[0].reason, "event names unknown group nope; ignored")
        XCTAssertEqual(c.states, before)
    }
}

/// Quarantine: a node that keeps losing its lease comes back quarantined, until its quarantine ends
/// on its own or an operator resumes it.
final class CoordinatorQuarantineTests: XCTestCase {
    private let cap = NodeCapacity(memoryMiB: 8192, vcpus: 8)

    /// Loses n1's lease three times, ten minutes apart; returns what the third rejoin decided.
    private func quarantine(_ c: inout ClusterCoordinator) -> [Directive] {
        var last: [Directive] = []
        for k in Int64(0)..<3 {
            _ = c.handle(.leaseLost("n1"), at: Fixture.at(k * 600))
            _ = c.handle(.nodeFenced("n1"), at: Fixture.at(k * 600 + 5))
            last = c.handle(.nodeJoined("n1", cap), at: Fixture.at(k * 600 + 60))
            XCTAssertEqual(c.nodes["n1"]!.state, k < 2 ? .up : .quarantined)
        }
        return last
    }

    func testThirdLeaseLossWithinAnHourQuarantinesUntilItsDurationEnds() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [])
        let joined = quarantine(&c)
        let until = Fixture.at(1260) + .hours(2)
        XCTAssertEqual(joined.map(\.action), [.raiseAlert(.warning), .waitUntil(until)])
        XCTAssertTrue(joined[0].reason.hasSuffix("quarantined, takes no groups until \(until) (2h) or until an operator resumes it"), joined[0].reason)
        _ = c.handle(.timerFired, at: until + .seconds(-1))
        XCTAssertEqual(c.nodes["n1"]!.state, .quarantined)
        let released = c.handle(.timerFired, at: until)
        XCTAssertEqual(c.nodes["n1"]!.state, .up)
        XCTAssertNil(c.nodes["n1"]!.quarantinedUntil)
        XCTAssertEqual(released.map(\.action), [.raiseAlert(.info)])
    }

    func testAnOperatorResumesAQuarantinedNodeEarly() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [])
        _ = quarantine(&c)
        _ = c.handle(.resumeRequested("n1"), at: Fixture.at(2000))
        XCTAssertEqual(c.nodes["n1"]!.state, .up)
        XCTAssertNil(c.nodes["n1"]!.quarantinedUntil, "the pending release no longer applies")
    }

    func testWithoutADurationOnlyAnOperatorEndsTheQuarantine() {
        var c = ClusterCoordinator(configuration: CoordinatorConfiguration(quarantineDuration: .zero),
                                   nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [])
        let joined = quarantine(&c)
        XCTAssertEqual(joined.map(\.action), [.raiseAlert(.warning)])
        XCTAssertTrue(joined[0].reason.hasSuffix("takes no groups until an operator resumes it"), joined[0].reason)
        _ = c.handle(.timerFired, at: Fixture.at(100_000))
        XCTAssertEqual(c.nodes["n1"]!.state, .quarantined)
        _ = c.handle(.resumeRequested("n1"), at: Fixture.at(100_001))
        XCTAssertEqual(c.nodes["n1"]!.state, .up)
    }

    func testAQuarantineSurvivesStorageOfTheCoordinator() throws {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [])
        _ = quarantine(&c)
        var stored = try JSONDecoder().decode(ClusterCoordinator.self, from: JSONEncoder().encode(c))
        XCTAssertEqual(stored.nodes["n1"]!.quarantinedUntil, Fixture.at(1260) + .hours(2))
        _ = stored.handle(.timerFired, at: Fixture.at(1260) + .hours(2))
        XCTAssertEqual(stored.nodes["n1"]!.state, .up)
    }
}
