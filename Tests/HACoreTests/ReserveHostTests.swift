import Foundation
import HACore
import XCTest

/// Reserve hosts (the seed's hot spare): used only when no other node has room, emptied again when
/// room appears elsewhere; counted in N+x capacity.
final class ReserveHostTests: XCTestCase {
    private func spare(_ name: String, memory: Int = 8192) -> Node {
        Node(id: NodeID(name), capacity: NodeCapacity(memoryMiB: memory, vcpus: 8), reserved: true)
    }

    private func moves(_ out: [Directive]) -> [Directive.Action] {
        out.map(\.action).filter {
            switch $0 {
            case .liveMigrate, .quickMigrate, .bringOnline, .takeOffline: true
            default: false
            }
        }
    }

    func testPlacementUsesAReserveHostOnlyWhenNoOtherNodeHasRoom() {
        let g = Fixture.group("web", memory: 2048, policy: GroupPolicy(preferredOwners: ["spare"]))
        var load = ClusterLoad(nodes: [Fixture.node("n1", memory: 4096), spare("spare", memory: 65536)])
        let ordinary = Placement.choose(for: g, in: load)
        XCTAssertEqual(ordinary.node, "n1", "neither its free memory nor a preference draws a group to a spare: \(ordinary.reason)")
        load.add(Fixture.group("big", memory: 3072), to: "n1")
        let spare = Placement.choose(for: g, in: load)
        XCTAssertEqual(spare.node, "spare")
        XCTAssertTrue(spare.reason.hasSuffix("; a reserve host: no other node can take it (n1 has 1024 MiB free)"), spare.reason)
    }

    func testAFailureFillsTheSpareAndTheGroupGoesBackWhenRoomAppears() {
        let web = Fixture.group("web", memory: 6144)
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2", memory: 4096), spare("n3")], groups: [web],
                                   states: ["web": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
        _ = c.handle(.leaseLost("n1"), at: Fixture.at(1))
        let failover = c.handle(.nodeFenced("n1"), at: Fixture.at(2))
        XCTAssertEqual(moves(failover), [.bringOnline("web", on: "n3", order: ["web-vm"], cause: .failover)])
        _ = c.handle(.groupOnline("web", on: "n3"), at: Fixture.at(3))
        XCTAssertEqual(moves(c.handle(.timerFired, at: Fixture.at(4))), [], "no room elsewhere yet: it stays on the spare")
        let back = c.handle(.nodeJoined("n1", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(5))
        XCTAssertEqual(moves(back), [.liveMigrate("web", from: "n3", to: "n1")])
        XCTAssertTrue(back.first { $0.action == .liveMigrate("web", from: "n3", to: "n1") }?.reason.hasPrefix("n3 is a reserve host and room appeared elsewhere") ?? false)
    }

    func testADrainUsesTheSpareOnlyForWhatFitsNowhereElse() {
        let a = Fixture.group("a", memory: 3072), b = Fixture.group("b", memory: 3072)
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2", memory: 4096), spare("n3")], groups: [a, b],
                                   states: ["a": GroupState(phase: .online("n1"), possibleHosts: ["n1"]),
                                            "b": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
        let drain = moves(c.handle(.drainRequested("n1"), at: Fixture.at(1)))
        XCTAssertEqual(drain, [.liveMigrate("a", from: "n1", to: "n2"), .liveMigrate("b", from: "n1", to: "n3")])
    }

    func testFailbackNeverTargetsASpare() {
        let web = Fixture.group("web", policy: GroupPolicy(preferredOwners: ["n3", "n1"], failback: .immediately))
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2"), spare("n3")], groups: [web],
                                   states: ["web": GroupState(phase: .online("n2"), possibleHosts: ["n2"])])
        XCTAssertEqual(moves(c.handle(.timerFired, at: Fixture.at(1))), [.liveMigrate("web", from: "n2", to: "n1")])
    }

    func testAnOperatorCannotPutAGroupOnASpareByName() {
        let web = Fixture.group("web")
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2"), spare("n3")], groups: [web],
                                   states: ["web": GroupState(phase: .online("n1"), possibleHosts: ["n1"])])
        XCTAssertEqual(c.handle(.moveRequested("web", to: "n3"), at: Fixture.at(1)).map(\.reason),
                       ["move of web to n3 refused: n3 is a reserve host, which takes groups only when no other node can (vigil node unreserve n3 first)"])
        _ = c.handle(.stopRequested("web"), at: Fixture.at(2))
        _ = c.handle(.groupOffline("web", on: "n1"), at: Fixture.at(3))
        let start = c.handle(.startRequested("web", on: "n3"), at: Fixture.at(4))
        XCTAssertEqual(moves(start), [.bringOnline("web", on: "n1", order: ["web-vm"], cause: .start)])
        XCTAssertTrue(start.contains { $0.reason.hasPrefix("start web: requested node n3 is a reserve host, so n1") }, "\(start)")
    }

    func testReserveIsAnOperatorSettingThatOutlivesAFailureAndALeaderChange() throws {
        var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [])
        let set = c.handle(.reserveRequested("n2"), at: Fixture.at(1))
        XCTAssertEqual(set.map(\.action), [.raiseAlert(.info)])
        XCTAssertEqual(c.nodes["n2"]?.reserved, true)
        _ = c.handle(.leaseLost("n2"), at: Fixture.at(2))
        _ = c.handle(.nodeFenced("n2"), at: Fixture.at(3))
        _ = c.handle(.nodeJoined("n2", NodeCapacity(memoryMiB: 8192, vcpus: 8)), at: Fixture.at(4))
        XCTAssertEqual(c.nodes["n2"]?.reserved, true, "a lost reserve host comes back a reserve host")
        let restored = ClusterCoordinator(groups: [], restoring: try JSONDecoder().decode(CoordinatorSnapshot.self, from: JSONEncoder().encode(c.snapshot)))
        XCTAssertEqual(restored.nodes["n2"]?.reserved, true)
        var d = restored
        _ = d.handle(.unreserveRequested("n2"), at: Fixture.at(5))
        XCTAssertEqual(d.nodes["n2"]?.reserved, false)
        XCTAssertEqual(d.handle(.unreserveRequested("n2"), at: Fixture.at(6)).map(\.reason), ["n2 is already no reserve host"])
        XCTAssertTrue(d.handle(.reserveRequested("nosuch"), at: Fixture.at(7)).first?.reason.contains("unknown node nosuch") ?? false)
    }

    func testAnOrdinaryNodeIsStoredAsBeforeTheFlagExisted() throws {
        let plain = String(decoding: try JSONEncoder().encode(Fixture.node("n1")), as: UTF8.self)
        XCTAssertFalse(plain.contains("reserved\""), plain)
        let older = #"{"capacity":{"memoryMiB":4096,"reservedMemoryMiB":0,"vcpus":4},"id":"h1","state":"up"}"#
        XCTAssertEqual(try JSONDecoder().decode(Node.self, from: Data(older.utf8)).reserved, false)
        XCTAssertEqual(try JSONDecoder().decode(Node.self, from: JSONEncoder().encode(spare("s"))).reserved, true)
    }

    func testCapacityCountsTheSpare() {
        let groups = [Fixture.group("a", memory: 6144), Fixture.group("b", memory: 6144)]
        let owners: [GroupID: NodeID] = ["a": "n1", "b": "n2"]
        let without = CapacityPlanner(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: groups, owners: owners)
        XCTAssertEqual(without.toleratedFailures(), 0)
        let with = CapacityPlanner(nodes: [Fixture.node("n1"), Fixture.node("n2"), spare("n3")], groups: groups, owners: owners)
        XCTAssertEqual(with.toleratedFailures(), 1, "N+1 thanks to the reserve host")
        XCTAssertEqual(with.whatIf(failing: ["n1"]).placements, ["a": "n3"])
        XCTAssertEqual(with.whatIf(failing: ["n1", "n2"]).unplaced.keys.sorted(), ["b"])
    }
}
