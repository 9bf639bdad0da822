import Foundation
import HACore
import XCTest

/// A group's state is stored as its phase; records of the older flag shape (a status beside flags)
/// decode into the phase those flags described, and the coordinator decides from them as before.
final class GroupStateCodingTests: XCTestCase {
    private func decode(_ json: String) throws -> GroupState {
        try JSONDecoder().decode(GroupState.self, from: Data(json.utf8))
    }

    /// An older record: the flags every one of them carried (unless `extra` sets them), `extra`, the status.
    private func legacy(_ status: String, _ extra: String = "") throws -> GroupState {
        let defaults = ["recovering", "startRequested"].filter { !extra.contains("\"\($0)\"") }.map { "\"\($0)\":false," }
        return try decode(#"{"failedDuringMoveExhausted":false,"failovers":{"times":[]},"possibleHosts":[],"restarts":[],"#
            + defaults.joined() + extra + #""status":"# + status + "}")
    }

    func testEveryPhaseRoundTrips() throws {
        let pending = GroupState.Pending(recovering: GroupState.Recovering(avoid: "n1"),
                                         request: GroupState.StartRequest(target: "n2"), preemptedFor: "db")
        let phases: [GroupState.Phase] = [
            .offline(), .offline(pending), .starting("n1", .failover), .online("n1", moveFloor: .quick),
            .restarting("n1", "vm", recovering: true), .stopping("n1", then: "n2"), .stopping("n1", then: nil, pending),
            .migrating(from: "n1", to: "n2", .live, failedOnSource: "vm"), .failed,
            .diskLocked(holder: "n1", retryAt: Fixture.at(5), recovering: true),
        ]
        for phase in phases {
            var s = GroupState(phase: phase, possibleHosts: ["n1"])
            s.lastHost = "n3"
            s.failovers.record(Fixture.at(1))
            let data = try JSONEncoder().encode(s)
            XCTAssertEqual(try JSONDecoder().decode(GroupState.self, from: data), s, String(decoding: data, as: UTF8.self))
        }
    }

    func testOlderRecordsDecodeIntoThePhaseTheirFlagsDescribed() throws {
        XCTAssertEqual(try legacy(#"{"offline":{}}"#, #""recovering":true,"avoid":"n1","preemptedFor":"db","#).phase,
                       .offline(GroupState.Pending(recovering: GroupState.Recovering(avoid: "n1"), preemptedFor: "db")))
        XCTAssertEqual(try legacy(#"{"offline":{}}"#, #""startRequested":true,"requestedTarget":"n2","#).phase,
                       .offline(GroupState.Pending(request: GroupState.StartRequest(target: "n2"))))
        XCTAssertEqual(try legacy(#"{"starting":{"_0":"n2"}}"#, #""recovering":true,"failoverCountedAt":{"milliseconds":7000},"#).phase,
                       .starting("n2", .failover))
        XCTAssertEqual(try legacy(#"{"starting":{"_0":"n2"}}"#, #""recovering":true,"#).phase, .starting("n2", .recovery))
        XCTAssertEqual(try legacy(#"{"online":{"_0":"n1"}}"#, #""moveFloor":"quick","#).phase, .online("n1", moveFloor: .quick))
        XCTAssertEqual(try legacy(#"{"migrating":{"from":"n1","to":"n2","_2":"live"}}"#, #""failedDuringMove":"vm","#).phase,
                       .migrating(from: "n1", to: "n2", .live, failedOnSource: "vm"))
        XCTAssertEqual(try legacy(#"{"stopping":{"_0":"n1"}}"#, #""preemptedFor":"db","#).phase,
                       .stopping("n1", then: nil, GroupState.Pending(preemptedFor: "db")))
        XCTAssertEqual(try legacy(#"{"diskLocked":{"holder":"n1","retryAt":{"milliseconds":9000}}}"#, #""recovering":true,"#).phase,
                       .diskLocked(holder: "n1", retryAt: Fixture.at(9), recovering: true))
        // Flags that meant nothing in their status are dropped.
        XCTAssertEqual(try legacy(#"{"online":{"_0":"n1"}}"#, #""recovering":true,"avoid":"n2","startRequested":true,"#).phase,
                       .online("n1"))
        XCTAssertEqual(try legacy(#"{"failed":{}}"#, #""recovering":true,"lastHost":"n3","#).phase, .failed)
        XCTAssertEqual(try legacy(#"{"failed":{}}"#, #""lastHost":"n3","#).lastHost, "n3", "a field beside the phase is kept")
    }

    /// Decisions follow from the migrated phase: an older record of a start counted as a failover,
    /// refused by disk locks, gives that failover back; one not counted gives nothing back.
    func testACountedFailoverInAnOlderRecordIsTakenBackWhenDiskLocksRefuseIt() throws {
        for (counted, left) in [(true, 1), (false, 2)] {
            var s = try legacy(#"{"starting":{"_0":"n2"}}"#, #""recovering":true,"#
                + (counted ? #""failoverCountedAt":{"milliseconds":7000},"# : ""))
            s.failovers.record(Fixture.at(1))
            s.failovers.record(Fixture.at(7))
            s.possibleHosts = ["n2"]
            var c = ClusterCoordinator(nodes: [Fixture.node("n1"), Fixture.node("n2")], groups: [Fixture.group("web")], states: ["web": s])
            _ = c.handle(.startRefusedLocked("web", on: "n2"), at: Fixture.at(8))
            XCTAssertEqual(c.states["web"]?.failovers.times.count, left, "counted: \(counted)")
            XCTAssertEqual(c.states["web"]?.status, .diskLocked(holder: nil, retryAt: Fixture.at(13)))
        }
    }
}
