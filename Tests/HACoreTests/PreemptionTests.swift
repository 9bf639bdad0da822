import HACore
import XCTest

/// Priority preemption: only a more important group takes others offline, the least important first.
final class PreemptionTests: XCTestCase {
    /// One node with room for one 3 GiB group, running `running`; then `arriving` asks to start.
    private func arrive(_ arriving: GroupPriority, running: [(String, GroupPriority)]) -> (ClusterCoordinator, [Directive]) {
        let groups = running.map { Fixture.group($0.0, memory: 3072, policy: GroupPolicy(priority: $0.1)) }
            + [Fixture.group("new", memory: 3072, policy: GroupPolicy(priority: arriving))]
        var states: [GroupID: GroupState] = [:]
        for (i, g) in running.enumerated() {
            states[GroupID(g.0)] = GroupState(phase: .online(NodeID("n\(i + 1)")), possibleHosts: [NodeID("n\(i + 1)")])
        }
        var c = ClusterCoordinator(nodes: running.indices.map { Fixture.node("n\($0 + 1)", memory: 4096) }, groups: groups, states: states)
        let out = c.handle(.timerFired, at: Fixture.at(1))
        return (c, out)
    }

    func testTheLeastImportantGroupMakesRoom() {
        let (c, out) = arrive(.high, running: [("web", .medium), ("batch", .low), ("adhoc", .noAutoStart)])
        XCTAssertEqual(out.first?.action, .takeOffline("adhoc", on: "n3", order: ["adhoc-vm"]))
        XCTAssertEqual(c.states["adhoc"]?.status, .stopping("n3", then: nil))
        XCTAssertEqual(c.states["adhoc"]?.phase, .stopping("n3", then: nil, GroupState.Pending(preemptedFor: "new")))
        XCTAssertEqual(c.states["web"]?.status, .online("n1"))
        XCTAssertEqual(c.states["batch"]?.status, .online("n2"))
    }

    func testEqualOrHigherPriorityIsNeverPreempted() {
        var (_, out) = arrive(.medium, running: [("web", .medium), ("db", .high)])
        XCTAssertFalse(out.contains { if case .takeOffline = $0.action { true } else { false } }, "\(out)")
        XCTAssertTrue(out.contains { $0.reason.hasPrefix("new stays offline") }, "\(out)")
        (_, out) = arrive(.low, running: [("batch", .low), ("adhoc", .noAutoStart)])
        XCTAssertFalse(out.contains { if case .takeOffline = $0.action { true } else { false } }, "a low group preempts nothing: \(out)")
    }

    func testWhileRoomIsBeingMadeNothingMoreIsTakenOffline() {
        var (c, first) = arrive(.high, running: [("batch", .low), ("adhoc", .low)])
        XCTAssertEqual(first.filter { if case .takeOffline = $0.action { true } else { false } }.count, 1)
        let again = c.handle(.timerFired, at: Fixture.at(2))
        XCTAssertFalse(again.contains { if case .takeOffline = $0.action { true } else { false } }, "\(again)")
        let victim = first.compactMap { if case .takeOffline(let g, let n, _) = $0.action { (g, n) } else { nil } }.first!
        let placed = c.handle(.groupOffline(victim.0, on: victim.1), at: Fixture.at(3))
        XCTAssertTrue(placed.contains { $0.action == .bringOnline("new", on: victim.1, order: ["new-vm"], cause: .start) }, "\(placed)")
    }
}
