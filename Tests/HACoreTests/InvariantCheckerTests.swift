import HACore
@testable import HASimulator
import XCTest

/// The checker can fail: an unsafe coordinator and hand-built bad traces are caught.
final class InvariantCheckerTests: XCTestCase {
    private let partition = """
        cluster lease-ttl=10s fencing-margin=12s self-fence-delay=5s fence-device=no
        node n1
        node n2
        group app vms=app1:1024:1 preferred=n1
        at 30s partition n1
        at 2m heal n1
        run 3m
        """

    func testSafeMarginKeepsTheInvariants() throws {
        var sim = try Simulation(ScenarioScript.parse(partition), settleTime: .minutes(5))
        XCTAssertEqual(sim.run().violations, [])
    }

    func testAFencingMarginShorterThanTheWatchdogIsCaught() throws {
        var scenario = try ScenarioScript.parse(partition)
        scenario.coordinator.fencingMargin = .seconds(1)  // deliberately unsafe: watchdog needs up to 5s
        var sim = try Simulation(scenario, settleTime: .minutes(5))
        let v = sim.run().violations
        XCTAssertTrue(v.contains { $0.contains("app moved to n2 before its source n1 was fenced") }, "\(v)")
        // The simulated disk locks refuse that start (app1 still runs on n1), but the decision is caught.
        XCTAssertTrue(v.contains { $0.contains("app brought online on n2 while app1 still runs on n1") }, "\(v)")
    }

    func testHandBuiltBadTracesAreCaught() throws {
        let g = try ScenarioGroup(name: "g", vms: [.init(name: "g1", memoryMiB: 1024, vcpus: 1)]).definition()
        var world = World(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [g])
        var checker = InvariantChecker(groups: [g], selfFenceDelay: .seconds(5))
        // Restarting beyond the threshold (1 in 15 minutes by default).
        checker.onDirective(Directive(.restartResource("g", "g1", on: "n1"), reason: ""), world: world, at: Fixture.at(1))
        checker.onDirective(Directive(.restartResource("g", "g1", on: "n1"), reason: ""), world: world, at: Fixture.at(2))
        // Marking failed without a single failover.
        checker.groupFailed("g", at: Fixture.at(3))
        // The same VM running on two nodes.
        world.nodes["n1"]!.running = ["g1"]
        world.nodes["n2"]!.running = ["g1"]
        checker.afterStep(world: world, at: Fixture.at(4))
        XCTAssertEqual(checker.violations, [
            "2.000s g: 2 restarts on n1 within 15m, threshold 1",
            "3.000s g marked failed after only 0 failover(s) (threshold 2)",
            "4.000s g1 runs on n1 and n2",
        ])
    }

    /// A coordinator that leaves a group failed without its failovers used up is caught once, when
    /// the group becomes failed (there is no directive for it: the state says it).
    func testAGroupLeftFailedTooEarlyIsCaughtFromTheCoordinatorsState() throws {
        let g = Fixture.group("g")
        var checker = InvariantChecker(groups: [g], selfFenceDelay: .seconds(5))
        let running = ClusterCoordinator(nodes: [Fixture.node("n1")], groups: [g], states: ["g": GroupState(phase: .online("n1"))])
        checker.afterDecision(coordinator: running, at: Fixture.at(1))
        XCTAssertEqual(checker.violations, [])
        let failed = ClusterCoordinator(nodes: [Fixture.node("n1")], groups: [g], states: ["g": GroupState(phase: .failed)])
        checker.afterDecision(coordinator: failed, at: Fixture.at(2))
        checker.afterDecision(coordinator: failed, at: Fixture.at(3))
        XCTAssertEqual(checker.violations, ["2.000s g marked failed after only 0 failover(s) (threshold 2)"])
    }
}
