import HACore
import XCTest

/// Decision records name the group and nodes of the decision, then of its trigger; timers decide
/// nothing to record; retention keeps the newest.
final class DecisionRecordTests: XCTestCase {
    private let now = Timestamp(milliseconds: 1_000)

    func testAPlacementNamesItsGroupNodeTriggerAndReason() throws {
        let directive = Directive(.bringOnline("web", on: "h2", order: ["web-config", "web"], cause: .failover), reason: "h2 has the most free memory")
        let record = try XCTUnwrap(DecisionRecord(directive, trigger: .nodeFenced("h1"), at: now))
        XCTAssertEqual(record.kind, "bring-online")
        XCTAssertEqual(record.group, "web")
        XCTAssertEqual(record.nodes, ["h2", "h1"], "the decision's node first, then the trigger's")
        XCTAssertEqual(record.trigger, "node-fenced h1")
        XCTAssertEqual(record.reason, "h2 has the most free memory")
        XCTAssertNil(record.severity)
    }

    func testAnAlertTakesItsGroupFromTheTriggerAndTimersAreNotRecorded() throws {
        let alert = Directive(.raiseAlert(.warning), reason: "move of db refused: no node can take db")
        let record = try XCTUnwrap(DecisionRecord(alert, trigger: .moveRequested("db", to: "h3"), at: now))
        XCTAssertEqual(record.kind, "alert")
        XCTAssertEqual(record.severity, .warning)
        XCTAssertEqual(record.group, "db")
        XCTAssertEqual(record.nodes, ["h3"])
        XCTAssertNil(DecisionRecord(Directive(.waitUntil(now), reason: "restart window"), trigger: .timerFired, at: now))
    }

    func testRetentionPrunesTheOldestBeyondTheLimit() {
        let retention = DecisionRetention(limit: 3, batch: 1)
        XCTAssertEqual(retention.pruned(["d/5", "d/1", "d/4", "d/2", "d/3"]), ["d/1", "d/2"])
        XCTAssertEqual(retention.pruned(["d/1", "d/2"]), [])
    }
}
