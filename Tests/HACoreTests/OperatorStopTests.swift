import Foundation
import HACore
import XCTest

/// `vigil group stop|start`: an operator's offline that nothing but an operator's start undoes.
final class OperatorStopTests: XCTestCase {
    /// A VM on its configuration on exclusive storage: taken offline VM first, storage last.
    private let web = try! GroupDefinition(
        id: "web",
        resources: [Resource(id: "lun", kind: .storage(.exclusive)), Resource(id: "web-config", kind: .vmConfiguration(domainXMLPath: "/srv/web.xml")),
                    .vm("web-vm", memoryMiB: 1024, vcpus: 1)],
        dependencies: ["web-vm": ["web-config"], "web-config": ["lun"]],
        policy: GroupPolicy(preferredOwners: ["n1"], failback: .immediately))

    private func online(on n: NodeID = "n1", nodes: [Node] = [Fixture.node("n1"), Fixture.node("n2")]) -> ClusterCoordinator {
        ClusterCoordinator(nodes: nodes, groups: [web], states: ["web": GroupState(phase: .online(n), possibleHosts: [n])])
    }

    private func starts(_ out: [Directive]) -> [Directive] {
        out.filter { if case .bringOnline = $0.action { true } else { false } }
    }

    func testStopTakesTheGroupOfflineInReverseOrderAndNothingStartsItAgain() {
        var c = online()
        let stop = c.handle(.stopRequested("web"), at: Fixture.at(1))
        XCTAssertEqual(stop.map(\.action), [.takeOffline("web", on: "n1", order: ["web-vm", "web-config", "lun"])])
        XCTAssertTrue(stop[0].reason.hasPrefix("operator stopped web"), stop[0].reason)
        XCTAssertEqual(c.states["web"]?.status, .stopping("n1", then: nil))
        let done = c.handle(.groupOffline("web", on: "n1"), at: Fixture.at(2))
        XCTAssertEqual(c.states["web"]?.phase, .stopped(on: nil))
        XCTAssertEqual(c.states["web"]?.status, .stopped)
        XCTAssertEqual(done.map(\.action), [.raiseAlert(.info)], "the outcome is recorded: \(done)")
        XCTAssertTrue(done[0].reason.contains("web is stopped: offline on n1"), done[0].reason)
        // Placement, failback to its preferred owner and timers leave it alone.
        XCTAssertEqual(starts(c.handle(.timerFired, at: Fixture.at(3))), [])
        XCTAssertEqual(starts(c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 16384, vcpus: 8)), at: Fixture.at(4))), [])
        XCTAssertEqual(c.states["web"]?.status, .stopped)
    }

    func testAStoppedGroupIsNeitherRestartedNorFailedOver() {
        var c = online()
        _ = c.handle(.stopRequested("web"), at: Fixture.at(1))
        // Its VM crashing while it goes offline is no failure to handle.
        XCTAssertEqual(c.handle(.resourceFailed("web", "web-vm", on: "n1"), at: Fixture.at(2)), [])
        _ = c.handle(.groupOffline("web", on: "n1"), at: Fixture.at(3))
        XCTAssertEqual(c.states["web"]?.failovers.times, [])
        XCTAssertEqual(c.states["web"]?.status, .stopped)
    }

    func testAHostFailureDuringTheStopLeavesItStopped() {
        var c = online()
        _ = c.handle(.stopRequested("web"), at: Fixture.at(1))
        let lost = c.handle(.leaseLost("n1"), at: Fixture.at(2))
        XCTAssertTrue(lost.contains { $0.action == .fenceNode("n1") })
        let fenced = c.handle(.nodeFenced("n1"), at: Fixture.at(3))
        XCTAssertEqual(starts(fenced), [], "a stopped group is not failed over: \(fenced)")
        XCTAssertEqual(c.states["web"]?.phase, .stopped(on: nil))
        XCTAssertEqual(c.states["web"]?.possibleHosts, [])
        XCTAssertNil(c.states["web"]?.recovery, "no recovery: the operator took it offline")
        XCTAssertEqual(starts(c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(4))), [])
    }

    func testAStoppedGroupSurvivesALeaderChangeAndIsStoppedWhereverItIsFoundRunning() throws {
        var c = online()
        _ = c.handle(.stopRequested("web"), at: Fixture.at(1))
        _ = c.handle(.groupOffline("web", on: "n1"), at: Fixture.at(2))
        let stored = try JSONEncoder().encode(c.snapshot)
        var next = ClusterCoordinator(groups: [web], restoring: try JSONDecoder().decode(CoordinatorSnapshot.self, from: stored))
        XCTAssertEqual(next.states["web"]?.status, .stopped)
        XCTAssertEqual(starts(next.handle(.timerFired, at: Fixture.at(3))), [])
        // Started by hand on n2: the cluster takes it offline there, and it stays stopped.
        let found = next.handle(.groupOnline("web", on: "n2"), at: Fixture.at(4))
        XCTAssertEqual(found.map(\.action), [.takeOffline("web", on: "n2", order: ["web-vm", "web-config", "lun"])])
        XCTAssertEqual(next.states["web"]?.phase, .stopped(on: "n2"))
        _ = next.handle(.groupOffline("web", on: "n2"), at: Fixture.at(5))
        XCTAssertEqual(next.states["web"]?.phase, .stopped(on: nil))
    }

    func testStartPlacesItOnTheAskedNodeOrTheBestOne() {
        var c = online()
        _ = c.handle(.stopRequested("web"), at: Fixture.at(1))
        _ = c.handle(.groupOffline("web", on: "n1"), at: Fixture.at(2))
        let onN2 = c.handle(.startRequested("web", on: "n2"), at: Fixture.at(3))
        XCTAssertEqual(starts(onN2).map(\.action), [.bringOnline("web", on: "n2", order: ["lun", "web-config", "web-vm"], cause: .start)])
        XCTAssertTrue(starts(onN2)[0].reason.contains("operator chose n2"), "\(onN2)")

        // A node that may not host it: the best allowed one instead, saying why.
        var d = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")],
                                   groups: [Fixture.group("db", policy: GroupPolicy(possibleOwners: ["n1"]))],
                                   states: ["db": GroupState(phase: .stopped(on: nil))])
        let elsewhere = starts(d.handle(.startRequested("db", on: "n2"), at: Fixture.at(1)))
        XCTAssertEqual(elsewhere.map(\.action), [.bringOnline("db", on: "n1", order: ["db-vm"], cause: .start)])
        XCTAssertTrue(elsewhere[0].reason.hasPrefix("start db: requested node n2 not a possible owner, so"), elsewhere[0].reason)
    }

    func testAStartNoNodeCanHostIsRefusedAndTheGroupStaysStopped() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1", memory: 512)], groups: [Fixture.group("big", memory: 4096)],
                                   states: ["big": GroupState(phase: .stopped(on: nil))])
        let out = c.handle(.startRequested("big", on: nil), at: Fixture.at(1))
        XCTAssertEqual(out.map(\.action), [.raiseAlert(.warning)])
        XCTAssertTrue(out[0].reason.hasPrefix("start of big refused: no node can take big"), out[0].reason)
        XCTAssertEqual(c.states["big"]?.status, .stopped)
        let unknown = c.handle(.startRequested("big", on: "nosuch"), at: Fixture.at(2))
        XCTAssertEqual(unknown.map(\.reason), ["start of big refused: no node named nosuch"])
    }

    func testAStartWhileItStillGoesOfflinePlacesItOnceOffline() {
        var c = online()
        _ = c.handle(.stopRequested("web"), at: Fixture.at(1))
        let early = c.handle(.startRequested("web", on: nil), at: Fixture.at(2))
        XCTAssertEqual(starts(early), [])
        let placed = c.handle(.groupOffline("web", on: "n1"), at: Fixture.at(3))
        XCTAssertEqual(starts(placed).map(\.action), [.bringOnline("web", on: "n1", order: ["lun", "web-config", "web-vm"], cause: .start)])
    }

    func testRequestsThatDoNotFitItsPhaseAreRefusedNamingWhy() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [web],
                                   states: ["web": GroupState(phase: .migrating(from: "n1", to: "n2", .live), possibleHosts: ["n1", "n2"])])
        let stop = c.handle(.stopRequested("web"), at: Fixture.at(1))
        XCTAssertEqual(stop.map(\.reason), ["stop of web refused: it is busy (live migration n1->n2); try again when the move ends"])
        var d = online()
        XCTAssertTrue(d.handle(.startRequested("web", on: nil), at: Fixture.at(1)).first?.reason.hasPrefix("start of web refused: it is not stopped") ?? false)
        _ = d.handle(.stopRequested("web"), at: Fixture.at(2))
        _ = d.handle(.groupOffline("web", on: "n1"), at: Fixture.at(3))
        XCTAssertEqual(d.handle(.moveRequested("web", to: "n2"), at: Fixture.at(4)).map(\.reason),
                       ["move of web refused: it is stopped by an operator; start it with vigil group start"])
        XCTAssertEqual(d.handle(.stopRequested("web"), at: Fixture.at(5)).map(\.reason), ["stop of web ignored: it is already stopped"])
    }

    func testAFailedGroupStopsWithoutAnythingToTakeOffline() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1")], groups: [web], states: ["web": GroupState(phase: .failed)])
        let out = c.handle(.stopRequested("web"), at: Fixture.at(1))
        XCTAssertEqual(out.map(\.action), [.raiseAlert(.info)])
        XCTAssertEqual(c.states["web"]?.status, .stopped)
    }

    func testAStopDuringALockedStartsRetryTakesItOfflineWhereTheRetryRuns() {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1", state: .down), Fixture.node("n2")], groups: [web],
                                   states: ["web": GroupState(phase: .diskLocked(holder: "n1", retryAt: Fixture.at(1)), possibleHosts: ["n2"])])
        let out = c.handle(.stopRequested("web"), at: Fixture.at(2))
        XCTAssertEqual(out.map(\.action), [.takeOffline("web", on: "n2", order: ["web-vm", "web-config", "lun"])])
        XCTAssertEqual(c.states["web"]?.phase, .stopped(on: "n2"))
    }

    func testTheStoppedPhaseIsStoredAndOlderRecordsStillRead() throws {
        for phase in [GroupState.Phase.stopped(on: nil), .stopped(on: "n1")] {
            let state = GroupState(phase: phase, possibleHosts: phase == .stopped(on: nil) ? [] : ["n1"])
            XCTAssertEqual(try JSONDecoder().decode(GroupState.self, from: JSONEncoder().encode(state)), state)
        }
        let older = #"{"phase":{"online":{"_0":"n1"}},"possibleHosts":["n1"],"restarts":[],"failovers":{"times":[]}}"#
        XCTAssertEqual(try JSONDecoder().decode(GroupState.self, from: Data(older.utf8)).status, .online("n1"))
    }
}
