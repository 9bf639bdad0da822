import Foundation
import HACore
import HASimulator
import XCTest

/// The coordinator's snapshot: all it learns from events, round-tripped; and groups redefined on a
/// live coordinator, keeping what it learnt.
final class CoordinatorSnapshotTests: XCTestCase {
    private let configuration = CoordinatorConfiguration(fencingMargin: .seconds(20),
                                                         quarantine: ThresholdPolicy(threshold: 2, period: .hours(1)))
    private let groups = [Fixture.group("web", policy: GroupPolicy(preferredOwners: ["n1"])),
                          Fixture.group("db", policy: GroupPolicy(preferredOwners: ["n2"]))]
    private let capacity = NodeCapacity(memoryMiB: 8192, vcpus: 8)

    /// A coordinator that has learnt a bit of everything: a restart, a flapping node quarantined (with
    /// its lease-loss history and a pending release), an unconfirmed member, a suspected one, and a
    /// group failed over from a lost node whose start was refused by disk locks (recovery times, a
    /// pending retry).
    private func experienced() -> ClusterCoordinator {
        var c = ClusterCoordinator(configuration: configuration, nodes: ["n1", "n2", "n3", "n4"].map { Fixture.node($0) },
                                   groups: groups)
        for d in c.handle(.timerFired, at: .zero) {
            if case .bringOnline(let g, let n, _, _) = d.action { _ = c.handle(.groupOnline(g, on: n), at: Fixture.at(1)) }
        }
        _ = c.handle(.resourceFailed("web", "web-vm", on: "n1"), at: Fixture.at(2))
        _ = c.handle(.resourceOnline("web", "web-vm", on: "n1"), at: Fixture.at(3))
        for k in Int64(0)..<2 {
            _ = c.handle(.leaseLost("n4"), at: Fixture.at(10 + 10 * k))
            _ = c.handle(.nodeFenced("n4"), at: Fixture.at(11 + 10 * k))
            _ = c.handle(.nodeJoined("n4", capacity), at: Fixture.at(12 + 10 * k))
        }
        _ = c.handle(.memberUnconfirmed("n3"), at: Fixture.at(50))
        _ = c.handle(.leaseLost("n2"), at: Fixture.at(40))
        for d in c.handle(.timerFired, at: Fixture.at(60)) {
            if case .bringOnline("db", let n, _, _) = d.action { _ = c.handle(.startRefusedLocked("db", on: n), at: Fixture.at(61)) }
        }
        _ = c.handle(.nodeSuspected("n1"), at: Fixture.at(62))
        return c
    }

    func testTheSnapshotHoldsEveryPartOfTheCoordinatorThatIsNotItsConfigurationOrDefinitions() {
        // Whoever adds state to the coordinator adds it to the snapshot too, or this fails.
        let learnt = Set(Mirror(reflecting: experienced()).children.compactMap(\.label))
            .subtracting(["configuration", "definitions", "groupsInOrder"])
        XCTAssertEqual(learnt, Set(Mirror(reflecting: CoordinatorSnapshot()).children.compactMap(\.label)))
    }

    func testARestoredCoordinatorHoldsTheSameStateAndDecidesAsTheOriginal() throws {
        var c = experienced()
        let s = c.snapshot
        XCTAssertEqual(s.nodes["n4"]?.state, .quarantined)
        XCTAssertEqual(s.leaseLosses["n4"]?.times.count, 2)
        XCTAssertNotNil(s.nodes["n3"]?.unconfirmedUntil)
        XCTAssertNotNil(s.nodes["n1"]?.suspectedSince)
        XCTAssertEqual(s.states["web"]?.restarts["n1"]?.times.count, 1)
        guard case .diskLocked(holder: "n2", _)? = s.states["db"]?.status else { return XCTFail("\(String(describing: s.states["db"]))") }
        XCTAssertEqual(s.states["db"]?.recovery?.node, "n2")
        XCTAssertEqual(s.wakeups.count, 3, "quarantine end, grace end and lock retry pending: \(s.wakeups.sorted())")

        let decoded = try JSONDecoder().decode(CoordinatorSnapshot.self, from: JSONEncoder().encode(s))
        XCTAssertEqual(decoded, s)
        var restored = ClusterCoordinator(configuration: configuration, groups: groups, restoring: decoded)
        XCTAssertEqual(restored.snapshot, s)
        let next: [(ClusterEvent, Int64)] = [
            (.timerFired, 66), (.nodeHeard("n1"), 67), (.nodeJoined("n2", capacity), 68), (.timerFired, 90),
            (.leaseLost("n4"), 100), (.nodeFenced("n4"), 101), (.nodeJoined("n4", capacity), 102), (.timerFired, 8000),
        ]
        for (event, t) in next {
            XCTAssertEqual(restored.handle(event, at: Fixture.at(t)), c.handle(event, at: Fixture.at(t)), "\(event) at \(t)")
        }
        XCTAssertEqual(restored.snapshot, c.snapshot)
    }

    /// The end states of random fault schedules (nothing healed at their end), restored, go on identically.
    func testRandomScheduleEndStatesRoundTripAndGoOnIdentically() throws {
        var withHistory = 0
        for seed in UInt64(1)...40 {
            var scenario = RandomScenario.make(seed: seed)
            scenario.settle = nil
            var sim = try Simulation(scenario, logging: false)
            var c = sim.run().coordinator
            let s = try JSONDecoder().decode(CoordinatorSnapshot.self, from: JSONEncoder().encode(c.snapshot))
            XCTAssertEqual(s, c.snapshot, "seed \(seed)")
            if !s.leaseLosses.isEmpty && !s.wakeups.isEmpty { withHistory += 1 }
            var restored = ClusterCoordinator(configuration: c.configuration, groups: Array(c.definitions.values), restoring: s)
            var t = scenario.runUntil
            var events: [ClusterEvent] = [.timerFired]
            for n in c.nodes.keys.sorted() { events += [.leaseLost(n), .timerFired, .nodeJoined(n, capacity)] }
            for g in c.definitions.keys.sorted() { events += [.moveRequested(g, to: nil), .timerFired] }
            for event in events {
                t = t + .seconds(30)
                XCTAssertEqual(restored.handle(event, at: t), c.handle(event, at: t), "seed \(seed): \(event)")
            }
            XCTAssertEqual(restored.snapshot, c.snapshot, "seed \(seed)")
        }
        XCTAssertGreaterThan(withHistory, 0, "some schedules end with lease losses and pending wake-ups")
    }

    func testRedefiningGroupsKeepsTheStateOfGroupsStillDefinedAndEverythingElse() throws {
        var c = experienced()
        let before = c.snapshot
        let web = Fixture.group("web", policy: GroupPolicy(preferredOwners: ["n1"], failover: ThresholdPolicy(threshold: 5, period: .hours(1))))
        let cache = Fixture.group("cache")
        c.redefine(groups: [web, cache])
        XCTAssertEqual(c.definitions["web"], web)
        XCTAssertNil(c.definitions["db"])
        XCTAssertEqual(c.states["web"], before.states["web"], "a policy change keeps the group's state")
        XCTAssertNil(c.states["db"], "a removed group's state goes")
        XCTAssertEqual(c.states["cache"], GroupState(), "a new group starts offline")
        XCTAssertEqual(c.nodes, before.nodes)
        XCTAssertEqual(c.snapshot.leaseLosses, before.leaseLosses)
        XCTAssertEqual(c.snapshot.wakeups, before.wakeups)
        XCTAssertEqual(c.snapshot, ClusterCoordinator(configuration: configuration, groups: [web, cache], restoring: before).snapshot,
                       "redefining a live coordinator and restoring one over the new groups agree")
        // The flapping node's history counts on: one more lease loss quarantines it again.
        _ = c.handle(.resumeRequested("n4"), at: Fixture.at(200))
        _ = c.handle(.leaseLost("n4"), at: Fixture.at(210))
        _ = c.handle(.nodeFenced("n4"), at: Fixture.at(211))
        _ = c.handle(.nodeJoined("n4", capacity), at: Fixture.at(212))
        XCTAssertEqual(c.nodes["n4"]?.state, .quarantined)
    }
}
