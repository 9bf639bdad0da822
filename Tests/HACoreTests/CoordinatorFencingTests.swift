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

    func testANodeRejoiningBeforeItsFenceKeepsWhatRunsThereAndStopsWhatWasInFlight() {
        var c = started()
        _ = c.handle(.moveRequested("low", to: "n2"), at: Fixture.at(90))  // a move from n1 is under way
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        // Its agent is back (restarted, or healed after a self-fence) before anything of it was freed.
        let back = c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(105))
        XCTAssertTrue(c.nodes["n1"]!.acceptsGroups)
        XCTAssertEqual(c.states["high"]!.status, .online("n1"), "a group running there stays: the agent adopts it")
        XCTAssertEqual(back.map(\.action).filter { if case .takeOffline = $0 { true } else { false } },
                       [.takeOffline("low", on: "n1", order: ["low-vm"])], "the move in flight is stopped there first")
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(120))), [], "no fence, nothing started elsewhere")
        XCTAssertEqual(starts(c.handle(.groupOffline("low", on: "n1"), at: Fixture.at(121))), ["low@n2:move"],
                       "confirmed stopped on n1: it may still be on n2 only, so it is made sure there")
    }

    func testAStartRefusedByDiskLocksIsNoFailureAndTheHolderAdoptsTheGroup() {
        var c = started()
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(120))), ["high@n2:failover", "low@n2:failover"])
        // n1's agent died but its guests run on: their disk locks refuse the starts on n2.
        let refused = c.handle(.startRefusedLocked("high", on: "n2"), at: Fixture.at(121))
        XCTAssertEqual(c.states["high"]!.status, .diskLocked(holder: "n1", retryAt: Fixture.at(126)))
        XCTAssertTrue(c.states["high"]!.failovers.times.isEmpty, "a refused start is not a failover")
        XCTAssertTrue(refused.contains { $0.reason.contains("presumably still running on n1") }, "\(refused)")
        // Retried later, refused again: still no failover counted, never failed.
        for k in 0..<10 {
            let t = Fixture.at(126 + 5 * Int64(k))
            XCTAssertEqual(starts(c.handle(.timerFired, at: t)), ["high@n2:retry"])
            _ = c.handle(.startRefusedLocked("high", on: "n2"), at: t)
        }
        XCTAssertTrue(c.states["high"]!.failovers.times.isEmpty)
        // n1's agent is back and reports the group running there: adopted, nothing stopped.
        _ = c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(180))
        let adopt = c.handle(.groupOnline("high", on: "n1"), at: Fixture.at(181))
        XCTAssertEqual(c.states["high"]!.status, .online("n1"))
        XCTAssertFalse(adopt.contains { if case .takeOffline = $0.action { true } else { false } })
    }

    func testSuspicionFencesNeverStartsAndARecoveryRecordsItsTimes() {
        var c = started()
        let suspected = c.handle(.nodeSuspected("n1"), at: Fixture.at(100))
        XCTAssertTrue(suspected.contains { $0.action == .fenceNode("n1") }, "\(suspected)")
        XCTAssertEqual(starts(suspected), [], "suspicion alone starts nothing")
        XCTAssertFalse(c.nodes["n1"]!.acceptsGroups)
        _ = c.handle(.nodeHeard("n1"), at: Fixture.at(101))
        XCTAssertTrue(c.nodes["n1"]!.acceptsGroups, "heard again: back in service, nothing moved")
        _ = c.handle(.nodeSuspected("n1"), at: Fixture.at(110))
        XCTAssertEqual(starts(c.handle(.nodeFenced("n1"), at: Fixture.at(111))), ["high@n2:failover", "low@n2:failover"],
                       "a confirmed power-off frees its groups at once, lease or not")
        XCTAssertEqual(c.nodes["n1"]!.state, .down)
        _ = c.handle(.groupOnline("high", on: "n2"), at: Fixture.at(112))
        let r = try! XCTUnwrap(c.states["high"]!.recovery)
        XCTAssertEqual([r.detected, r.fenced, r.started, r.online], [Fixture.at(110), Fixture.at(111), Fixture.at(111), Fixture.at(112)])
        XCTAssertTrue(r.proven)
        XCTAssertEqual(r.description, "from n1, after its loss was detected: fenced (proven) +1s, start +1s, online +2s")
        XCTAssertTrue(c.handle(.leaseLost("n1"), at: Fixture.at(120)).isEmpty, "its lease lapsing later changes nothing")
        XCTAssertTrue(c.handle(.guestsAlive("high", on: "n1"), at: Fixture.at(121)).isEmpty)
        XCTAssertNil(c.states["high"]!.recovery!.firstProbe, "an answer from where the group does not run is not its probe")
        _ = c.handle(.guestsAlive("high", on: "n2"), at: Fixture.at(124))
        _ = c.handle(.guestsAlive("high", on: "n2"), at: Fixture.at(130))
        XCTAssertEqual(c.states["high"]!.recovery!.firstProbe, Fixture.at(124), "the first answer after the start counts")
        XCTAssertTrue(c.states["high"]!.recovery!.description.hasSuffix("online +2s, first probe +14s"))
    }

    func testANewLeaderGivesMembersThatHaveNotRenewedAStartUpGrace() {
        var c = started()
        _ = c.handle(.memberUnconfirmed("n1"), at: Fixture.at(100))
        XCTAssertFalse(c.nodes["n1"]!.acceptsGroups)
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(129))), [])
        _ = c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(129))
        XCTAssertEqual(c.states["high"]!.status, .online("n1"))
        XCTAssertTrue(c.nodes["n1"]!.acceptsGroups)
        // A member that never comes back counts as lost once the grace is over.
        var d = started()
        _ = d.handle(.memberUnconfirmed("n1"), at: Fixture.at(100))
        let lost = d.handle(.timerFired, at: Fixture.at(130))
        XCTAssertTrue(lost.contains { $0.action == .fenceNode("n1") }, "\(lost)")
        XCTAssertEqual(starts(d.handle(.timerFired, at: Fixture.at(150))), ["high@n2:failover", "low@n2:failover"])
    }

    func testStoredStateRoundTripsAndContinuesIdentically() throws {
        var c = started()
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(100))
        let snapshot = try JSONDecoder().decode(CoordinatorSnapshot.self, from: JSONEncoder().encode(c.snapshot))
        var restored = ClusterCoordinator(configuration: c.configuration, groups: Array(c.definitions.values), restoring: snapshot)
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
        var stored = ClusterCoordinator(groups: [], restoring: try JSONDecoder().decode(CoordinatorSnapshot.self, from: JSONEncoder().encode(c.snapshot)))
        XCTAssertEqual(stored.nodes["n1"]!.quarantinedUntil, Fixture.at(1260) + .hours(2))
        _ = stored.handle(.timerFired, at: Fixture.at(1260) + .hours(2))
        XCTAssertEqual(stored.nodes["n1"]!.state, .up)
    }
}
