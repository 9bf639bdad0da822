import HACore
import XCTest

/// Drains an operator can trust: spread over the other nodes within the move budget, a deadline,
/// an abort that aborts what is in flight, an end that names what stayed and why, failback home, and
/// a dry run. All on injected time.
final class DrainTests: XCTestCase {
    private func online(_ groups: [GroupDefinition], on n: NodeID) -> [GroupID: GroupState] {
        Dictionary(uniqueKeysWithValues: groups.map { ($0.id, GroupState(phase: .online(n), possibleHosts: [n])) })
    }

    private func live(_ out: [Directive]) -> [(GroupID, NodeID, NodeID)] {
        out.compactMap { if case .liveMigrate(let g, let a, let b) = $0.action { (g, a, b) } else { nil } }
    }

    private func alerts(_ out: [Directive]) -> [String] {
        out.compactMap { if case .raiseAlert = $0.action { $0.reason } else { nil } }
    }

    /// Six guests on n1, three empty equal nodes: two move at a time, never both to one host, and the
    /// drain ends with two on each.
    func testSixGuestsSpreadOverTheOthersTwoAtATime() {
        let groups = (1...6).map { Fixture.group("g\($0)") }
        var c = ClusterCoordinator(nodes: ["n1", "n2", "n3", "n4"].map { Fixture.node($0, memory: 16384) }, groups: groups,
                                   states: online(groups, on: "n1"))
        var pending = live(c.handle(.drainRequested("n1"), at: Fixture.at(1)))
        XCTAssertEqual(pending.count, 2, "at most 2 moves off one node")
        XCTAssertNotEqual(pending[0].2, pending[1].2, "the two moves in flight go to different hosts")
        var t: Int64 = 2
        var landed: [NodeID: Int] = [:]
        while let (g, _, to) = pending.first {
            pending.removeFirst()
            landed[to, default: 0] += 1
            let next = live(c.handle(.groupOnline(g, on: to), at: Fixture.at(t)))
            for m in next { XCTAssertFalse(pending.contains { $0.2 == m.2 }, "\(m.0) piled on \(m.2) with another move headed there") }
            pending += next
            XCTAssertLessThanOrEqual(pending.count, 2)
            t += 1
        }
        XCTAssertEqual(landed, ["n2": 2, "n3": 2, "n4": 2])
        XCTAssertEqual(c.nodes["n1"]?.state, .paused)
        XCTAssertEqual(c.nodes["n1"]?.drain?.outcome, .complete)
    }

    func testTheClusterBoundsMovesAcrossDrains() {
        let a = (1...3).map { Fixture.group("a\($0)") }, b = (1...3).map { Fixture.group("b\($0)") }
        var states = online(a, on: "n1")
        states.merge(online(b, on: "n2")) { x, _ in x }
        var c = ClusterCoordinator(configuration: CoordinatorConfiguration(maxConcurrentMovesPerCluster: 3),
                                   nodes: ["n1", "n2", "n3", "n4"].map { Fixture.node($0, memory: 16384) }, groups: a + b, states: states)
        XCTAssertEqual(live(c.handle(.drainRequested("n1"), at: Fixture.at(1))).count, 2)
        XCTAssertEqual(live(c.handle(.drainRequested("n2"), at: Fixture.at(2))).count, 1, "5 - 2 in flight would be 3; the cluster allows 3 in all")
    }

    /// The deadline passes with a migration that never ends: it is aborted, nothing else starts, and
    /// the drain ends incomplete naming every group left and why; the aborted move does not fall back.
    func testADeadlineAbortsWhatIsInFlightAndEndsTheDrainIncomplete() {
        let groups = [Fixture.group("a"), Fixture.group("b"), Fixture.group("c")]
        var c = ClusterCoordinator(configuration: CoordinatorConfiguration(maxConcurrentMovesPerDrain: 1),
                                   nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: groups, states: online(groups, on: "n1"))
        let start = c.handle(.drainRequested("n1", deadline: .seconds(60)), at: Fixture.at(0))
        XCTAssertTrue(start.contains { $0.action == .waitUntil(Fixture.at(60)) })
        XCTAssertEqual(live(start).map(\.0), ["a"])
        XCTAssertEqual(live(c.handle(.timerFired, at: Fixture.at(59))).count, 0)
        let end = c.handle(.timerFired, at: Fixture.at(60))
        XCTAssertTrue(end.contains { $0.action == .abortMove("a", on: "n1") })
        XCTAssertEqual(c.nodes["n1"]?.state, .paused)
        let record = c.nodes["n1"]?.drain
        XCTAssertEqual(record?.outcome, .incomplete)
        XCTAssertEqual(Set(record?.left.keys ?? [:].keys), ["a", "b", "c"])
        XCTAssertTrue(record?.left["b"]?.contains("deadline") ?? false, record?.left["b"] ?? "")
        XCTAssertTrue(alerts(end).contains { $0.hasPrefix("drain of n1 incomplete: 3 group(s) left") }, "\(alerts(end))")
        // The abort ends the job with the guest still on n1: it stays there, no quick move follows.
        let after = c.handle(.moveFailed("a", .live, from: "n1", runningOn: "n1"), at: Fixture.at(61))
        XCTAssertEqual(after.filter { if case .raiseAlert = $0.action { false } else { true } }, [])
        XCTAssertEqual(c.states["a"]?.phase, .online("n1"))
        XCTAssertEqual(c.states["a"]?.possibleHosts, ["n1"], "running exactly once, on n1")
    }

    func testAbortStopsTheMigrationInFlightAndALaterMoveStartsLiveAgain() {
        let groups = [Fixture.group("a"), Fixture.group("b")]
        var c = ClusterCoordinator(configuration: CoordinatorConfiguration(maxConcurrentMovesPerDrain: 1),
                                   nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: groups, states: online(groups, on: "n1"))
        _ = c.handle(.drainRequested("n1"), at: Fixture.at(0))
        let abort = c.handle(.drainAborted("n1"), at: Fixture.at(5))
        XCTAssertEqual(abort.map(\.action).filter { if case .abortMove = $0 { true } else { false } }, [.abortMove("a", on: "n1")])
        XCTAssertEqual(c.nodes["n1"]?.drain?.outcome, .aborted)
        XCTAssertTrue(c.nodes["n1"]?.drain?.left["b"]?.contains("not moved") ?? false)
        XCTAssertEqual(live(c.handle(.moveFailed("a", .live, from: "n1", runningOn: "n1"), at: Fixture.at(6))).count, 0)
        XCTAssertEqual(c.states["a"]?.phase, .online("n1"))
        XCTAssertEqual(live(c.handle(.moveRequested("a", to: "n2"), at: Fixture.at(7))).map(\.0), ["a"],
                       "an abort is no failure of live migration")
    }

    /// A live migration that failed because its target stopped answering falls back to nothing:
    /// a quick or cold move toward it would only stop the guest on its source. A failure with the
    /// target answering climbs the ladder as before.
    func testAMoveWhoseTargetStoppedAnsweringStaysWhereItRuns() {
        let groups = [Fixture.group("a"), Fixture.group("b")]
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: groups, states: online(groups, on: "n1"))
        XCTAssertEqual(live(c.handle(.moveRequested("a", to: "n2"), at: Fixture.at(1))).map(\.0), ["a"])
        let lost = c.handle(.moveFailed("a", .live, from: "n1", runningOn: "n1", targetUnreachable: true), at: Fixture.at(2))
        XCTAssertEqual(lost.filter { if case .raiseAlert = $0.action { false } else { true } }, [], "no quick or cold move toward n2")
        XCTAssertTrue(alerts(lost).contains { $0.contains("n2 does not answer; a stays on n1") }, "\(alerts(lost))")
        XCTAssertEqual(c.states["a"]?.phase, .online("n1"))
        XCTAssertEqual(live(c.handle(.moveRequested("b", to: "n2"), at: Fixture.at(3))).map(\.0), ["b"])
        let climbs = c.handle(.moveFailed("b", .live, from: "n1", runningOn: "n1"), at: Fixture.at(4))
        XCTAssertTrue(climbs.contains { if case .quickMigrate("b", from: "n1", to: "n2") = $0.action { true } else { false } }, "\(climbs)")
    }

    func testAGroupNoNodeCanTakeEndsTheDrainIncompleteNamingWhy() {
        let small = Fixture.group("small"), big = Fixture.group("big", memory: 6144)
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2", memory: 4096)], groups: [small, big],
                                   states: online([small, big], on: "n1"))
        XCTAssertEqual(live(c.handle(.drainRequested("n1"), at: Fixture.at(0))).map(\.0), ["small"])
        XCTAssertNil(c.nodes["n1"]?.drain?.outcome, "not over while a move is in flight (it could free room)")
        let end = c.handle(.groupOnline("small", on: "n2"), at: Fixture.at(1))
        XCTAssertEqual(c.nodes["n1"]?.drain?.outcome, .incomplete)
        XCTAssertTrue(c.nodes["n1"]?.drain?.left["big"]?.contains("no node can take big") ?? false, "\(c.nodes["n1"]?.drain?.left ?? [:])")
        XCTAssertTrue(alerts(end).contains { $0.contains("incomplete") && $0.contains("big") })
        XCTAssertEqual(c.states["big"]?.phase, .online("n1"), "it stays where it runs")
        XCTAssertEqual(live(c.handle(.timerFired, at: Fixture.at(100))).count, 0, "no retry loop")
    }

    func testResumeWithFailbackBringsTheDrainedGroupsHomeLive() {
        let groups = [Fixture.group("a"), Fixture.group("b"), Fixture.group("c")]
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2"), Fixture.node("n3")], groups: groups,
                                   states: online(groups, on: "n1"))
        var pending = live(c.handle(.drainRequested("n1"), at: Fixture.at(0)))
        var t: Int64 = 1
        while let (g, _, to) = pending.first {
            pending.removeFirst()
            pending += live(c.handle(.groupOnline(g, on: to), at: Fixture.at(t)))
            t += 1
        }
        XCTAssertEqual(c.nodes["n1"]?.drain?.outcome, .complete)
        let home = live(c.handle(.resumeRequested("n1", failback: true), at: Fixture.at(100)))
        XCTAssertEqual(Set(home.map(\.0)), ["a", "b", "c"])
        XCTAssertTrue(home.allSatisfy { $0.2 == "n1" })
        for source in Set(home.map(\.1)) { XCTAssertLessThanOrEqual(home.filter { $0.1 == source }.count, 2, "two at a time off each node") }
        XCTAssertEqual(c.nodes["n1"]?.state, .up)
        for (g, _, _) in home { _ = c.handle(.groupOnline(g, on: "n1"), at: Fixture.at(101)) }
        XCTAssertEqual(live(c.handle(.timerFired, at: Fixture.at(102))).count, 0, "home once, no more moves")
        XCTAssertEqual(c.nodes["n1"]?.drain?.failback, [])
    }

    func testAPlainResumeBringsNothingHome() {
        let g = Fixture.group("a")
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [g], states: online([g], on: "n1"))
        _ = c.handle(.drainRequested("n1"), at: Fixture.at(0))
        _ = c.handle(.groupOnline("a", on: "n2"), at: Fixture.at(1))
        XCTAssertEqual(live(c.handle(.resumeRequested("n1"), at: Fixture.at(2))).count, 0)
    }

    func testTheDryRunPlansTargetsMethodsEstimatesAndNPlusXAfter() {
        let exclusive = try! GroupDefinition(id: "db", resources: [.vm("db-vm", memoryMiB: 2048, vcpus: 1, moveMethods: [.quick, .cold])])
        let web = Fixture.group("web", memory: 1024), huge = Fixture.group("huge", memory: 12288)
        let c = ClusterCoordinator(nodes: [Fixture.node("n1", memory: 16384), Fixture.node("n2"), Fixture.node("n3")],
                                   groups: [exclusive, web, huge], states: online([exclusive, web, huge], on: "n1"))
        let rates: [MoveMethod: MoveRate] = [.live: MoveRate(moves: [(1024, 2), (1024, 2)])!]
        let plan = c.drainPlan(of: "n1", rates: rates)
        XCTAssertNil(plan.refusal)
        let byGroup = Dictionary(uniqueKeysWithValues: plan.moves.map { ($0.group, $0) })
        XCTAssertEqual(byGroup["web"]?.method, .live)
        XCTAssertEqual(byGroup["web"]?.estimate, .seconds(2), "1024 MiB at the 512 MiB/s measured")
        XCTAssertEqual(byGroup["db"]?.method, .quick)
        XCTAssertNil(byGroup["db"]?.estimate, "no quick move measured yet")
        XCTAssertNil(plan.estimatedTotal)
        XCTAssertNotEqual(byGroup["db"]?.target, byGroup["web"]?.target, "spread over n2 and n3")
        XCTAssertNil(byGroup["huge"]?.target)
        XCTAssertTrue(byGroup["huge"]?.reason.contains("no node can take huge") ?? false)
        XCTAssertEqual(plan.toleratesNow, 0)
        XCTAssertEqual(plan.toleratesAfter, 1, "huge stays on the paused n1; n2 or n3 alone can take db and web")
        XCTAssertEqual(c.nodes["n1"]?.state, .up, "a dry run changes nothing")
    }

    func testTheDryRunTotalsRoundsOfConcurrentMoves() {
        let groups = (1...3).map { Fixture.group("g\($0)", memory: 1024) }
        let c = ClusterCoordinator(nodes: ["n1", "n2", "n3"].map { Fixture.node($0, memory: 16384) }, groups: groups,
                                   states: online(groups, on: "n1"))
        let plan = c.drainPlan(of: "n1", rates: [.live: MoveRate(moves: [(1024, 4)])!])
        XCTAssertEqual(plan.estimatedTotal, .seconds(8), "two rounds (2 at a time) of 4 s each")
        XCTAssertEqual(plan.toleratesAfter, 1, "n2 and n3 can each take all three")
    }
}
