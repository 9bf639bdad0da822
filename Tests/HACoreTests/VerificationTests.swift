import HACore
import XCTest

/// `vigil verify`: the state machine alone, then the coordinator driving it through the ordinary
/// moves (each owner visited in turn, back home, each step a decision), its refusals and its abort.
/// All on injected time.
final class VerificationTests: XCTestCase {
    private let never: (NodeID) -> String? = { _ in nil }

    private func start(_ origin: NodeID, _ owners: [NodeID]) throws -> Verification {
        try Verification.start(origin: origin, owners: owners, at: Fixture.at(0)).get()
    }

    func testItVisitsEveryOtherOwnerInTurnThenGoesBack() throws {
        var v = try start("n1", ["n3", "n1", "n2"])
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(1), budget: true, refusal: never), .move(to: "n2"))
        v.moving(by: .live)
        XCTAssertEqual(v.settled(on: "n2", at: Fixture.at(3), budget: true, refusal: never), .move(to: "n3"))
        v.moving(by: .live)
        v.moving(by: .quick)
        XCTAssertEqual(v.settled(on: "n3", at: Fixture.at(6), budget: true, refusal: never), .move(to: "n1"))
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(7), budget: true, refusal: never), .finished(.passed))
        XCTAssertEqual(v.steps.map(\.target), ["n2", "n3", "n1"])
        XCTAssertEqual(v.steps.map(\.from), ["n1", "n2", "n3"])
        XCTAssertEqual(v.steps.map(\.method), [.live, .quick, nil], "the last method the ladder used; the last step never said")
        XCTAssertEqual(v.steps.map { $0.endedAt! - $0.startedAt }, [.seconds(2), .seconds(3), .seconds(1)])
        XCTAssertNil(v.failure)
    }

    func testAGroupWithOneOwnerIsRefused() {
        guard case .failure(let why) = Verification.start(origin: "n1", owners: ["n1"], at: .zero) else { return XCTFail("started") }
        XCTAssertTrue(why.description.contains("no possible owner other than n1"), why.description)
    }

    func testARefusedTargetIsAFailedStepAndTheNextOwnerIsStillVisited() throws {
        var v = try start("n1", ["n1", "n2", "n3"])
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(1), budget: true) { $0 == "n2" ? "n2 has 0 MiB free" : nil }, .move(to: "n3"))
        XCTAssertEqual(v.settled(on: "n3", at: Fixture.at(2), budget: true, refusal: never), .move(to: "n1"))
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(3), budget: true, refusal: never), .finished(.failed))
        XCTAssertEqual(v.steps.map(\.worked), [false, true, true])
        XCTAssertEqual(v.steps[0].failure, "n2 has 0 MiB free")
        XCTAssertEqual(v.failure, "the move to n2 failed: n2 has 0 MiB free")
    }

    func testAMoveThatLeavesTheGroupOnItsSourceFailsThatStepOnly() throws {
        var v = try start("n1", ["n1", "n2", "n3"])
        _ = v.settled(on: "n1", at: Fixture.at(1), budget: true, refusal: never)
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(2), budget: true, refusal: never), .move(to: "n3"), "still on n1: n3 next")
        XCTAssertTrue(v.steps[0].failure?.contains("stayed on n1") ?? false, v.steps[0].failure ?? "")
        XCTAssertEqual(v.settled(on: "n3", at: Fixture.at(3), budget: true, refusal: never), .move(to: "n1"))
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(4), budget: true, refusal: never), .finished(.failed))
    }

    func testNoBudgetWaitsWithoutUsingUpATarget() throws {
        var v = try start("n1", ["n1", "n2"])
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(1), budget: false, refusal: never), .wait)
        XCTAssertEqual(v.steps, [])
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(2), budget: true, refusal: never), .move(to: "n2"))
    }

    func testAbortDropsTheOwnersLeftAndGoesHome() throws {
        var v = try start("n1", ["n1", "n2", "n3"])
        _ = v.settled(on: "n1", at: Fixture.at(1), budget: true, refusal: never)
        v.abort(at: Fixture.at(2))
        XCTAssertEqual(v.settled(on: "n2", at: Fixture.at(3), budget: true, refusal: never), .move(to: "n1"), "n3 is dropped")
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(4), budget: true, refusal: never), .finished(.aborted))
        XCTAssertEqual(v.steps.map(\.target), ["n2", "n1"])
    }

    func testAGroupThatStopsRunningFailsIt() throws {
        var v = try start("n1", ["n1", "n2"])
        _ = v.settled(on: "n1", at: Fixture.at(1), budget: true, refusal: never)
        XCTAssertEqual(v.lost("g is failed", at: Fixture.at(2)), .finished(.failed))
        XCTAssertEqual(v.steps.first?.failure, "g is failed")
        XCTAssertEqual(v.failure, "g is failed")
        XCTAssertEqual(v.settled(on: "n1", at: Fixture.at(3), budget: true, refusal: never), .finished(.failed), "over is over")
    }

    // MARK: the coordinator

    private func cluster(_ nodes: [Node] = ["n1", "n2", "n3"].map { Fixture.node($0) },
                         policy: GroupPolicy = GroupPolicy()) -> ClusterCoordinator {
        ClusterCoordinator(nodes: nodes, groups: [Fixture.group("g", policy: policy)],
                           states: ["g": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
    }

    private func liveTarget(_ out: [Directive]) -> NodeID? {
        out.lazy.compactMap { if case .liveMigrate("g", _, let to) = $0.action { to } else { nil } }.first
    }

    private func alerts(_ out: [Directive]) -> [String] {
        out.compactMap { if case .raiseAlert = $0.action { $0.reason } else { nil } }
    }

    func testTheCoordinatorMovesTheGroupThroughEveryOwnerAndBack() {
        var c = cluster()
        var out = c.handle(.verifyRequested("g"), at: Fixture.at(1))
        var visited: [NodeID] = []
        var t: Int64 = 2
        while let to = liveTarget(out) {
            visited.append(to)
            out = c.handle(.groupOnline("g", on: to), at: Fixture.at(t))
            t += 1
        }
        XCTAssertEqual(visited, ["n2", "n3", "n1"])
        XCTAssertEqual(c.states["g"]?.status, .online("n1"))
        XCTAssertEqual(c.states["g"]?.verification?.outcome, .passed)
        XCTAssertEqual(c.states["g"]?.verification?.steps.map(\.method), [.live, .live, .live])
        XCTAssertTrue(alerts(out).contains { $0.hasPrefix("verify of g: the move n3→n1 worked (live, 1s)") }, "\(alerts(out))")
        XCTAssertTrue(alerts(out).contains { $0.hasPrefix("verify of g passed") }, "\(alerts(out))")
    }

    func testAFailedLiveMoveFallsBackAndTheStepRecordsTheMethodThatWorked() {
        var c = cluster(["n1", "n2"].map { Fixture.node($0) })
        _ = c.handle(.verifyRequested("g"), at: Fixture.at(1))
        let fallback = c.handle(.moveFailed("g", .live, from: "n1", runningOn: "n1"), at: Fixture.at(2))
        XCTAssertTrue(fallback.contains { $0.action == .quickMigrate("g", from: "n1", to: "n2") }, "\(fallback)")
        _ = c.handle(.groupOnline("g", on: "n2"), at: Fixture.at(3))
        XCTAssertEqual(c.states["g"]?.verification?.steps.first?.method, .quick)
        XCTAssertTrue(c.states["g"]?.verification?.steps.first?.worked ?? false)
    }

    func testATargetWithoutRoomFailsItsStepWithTheReason() {
        var c = cluster([Fixture.node("n1"), Fixture.node("n2", memory: 512), Fixture.node("n3")])
        let out = c.handle(.verifyRequested("g"), at: Fixture.at(1))
        XCTAssertEqual(liveTarget(out), "n3")
        XCTAssertTrue(alerts(out).contains { $0.contains("n1→n2 failed: n2 has 512 MiB free") }, "\(alerts(out))")
    }

    func testRefusals() {
        var one = cluster(policy: GroupPolicy(possibleOwners: ["n1"]))
        XCTAssertEqual(one.verificationRefusal("g"), "g it has no possible owner other than n1 to move to")
        XCTAssertEqual(one.verificationRefusal("nope"), "no group named nope")
        let refused = one.handle(.verifyRequested("g"), at: Fixture.at(1))
        XCTAssertTrue(alerts(refused).contains { $0.hasPrefix("verify of g refused: g it has no possible owner") }, "\(alerts(refused))")
        XCTAssertNil(one.states["g"]?.verification, "nothing recorded")

        var c = cluster()
        _ = c.handle(.verifyRequested("g"), at: Fixture.at(1))
        XCTAssertEqual(c.verificationRefusal("g"), "a verification of g is already under way")

        var moving = cluster()
        _ = moving.handle(.moveRequested("g", to: "n2"), at: Fixture.at(1))
        XCTAssertTrue(moving.verificationRefusal("g")?.hasPrefix("g is moving") ?? false, moving.verificationRefusal("g") ?? "")

        // One move at a time off n1: g moves first, h waits on the draining node.
        var draining = ClusterCoordinator(configuration: CoordinatorConfiguration(maxConcurrentMovesPerDrain: 1),
                                          nodes: ["n1", "n2"].map { Fixture.node($0) }, groups: [Fixture.group("g"), Fixture.group("h")],
                                          states: ["g": GroupState(phase: .online("n1"), possibleHosts: ["n1"]),
                                                   "h": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
        _ = draining.handle(.drainRequested("n1"), at: Fixture.at(1))
        XCTAssertEqual(draining.verificationRefusal("h"), "n1, where h runs, is draining")

        var stopped = cluster()
        _ = stopped.handle(.stopRequested("g"), at: Fixture.at(1))
        XCTAssertTrue(stopped.verificationRefusal("g")?.hasPrefix("g is not online") ?? false, stopped.verificationRefusal("g") ?? "")
    }

    func testAbortThroughTheCoordinatorBringsItHome() {
        var c = cluster()
        _ = c.handle(.verifyRequested("g"), at: Fixture.at(1))
        _ = c.handle(.verifyAborted("g"), at: Fixture.at(2))
        XCTAssertEqual(liveTarget(c.handle(.groupOnline("g", on: "n2"), at: Fixture.at(3))), "n1")
        _ = c.handle(.groupOnline("g", on: "n1"), at: Fixture.at(4))
        XCTAssertEqual(c.states["g"]?.verification?.outcome, .aborted)
        XCTAssertTrue(alerts(c.handle(.verifyAborted("g"), at: Fixture.at(5))).contains { $0.contains("none is under way") })
    }

    func testTheVerificationIsKeptInTheStoredGroupState() throws {
        var c = cluster()
        _ = c.handle(.verifyRequested("g"), at: Fixture.at(1))
        let state = try XCTUnwrap(c.states["g"])
        let decoded = try JSONDecoder().decode(GroupState.self, from: JSONEncoder().encode(state))
        XCTAssertEqual(decoded.verification, state.verification)
        XCTAssertNotNil(decoded.verification?.current)
    }
}
