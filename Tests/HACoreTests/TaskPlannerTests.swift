import HACore
import XCTest

/// The leader's pure translation between directives, node tasks and coordinator events.
final class TaskPlannerTests: XCTestCase {
    private let g: GroupID = "g1"
    private func vm(_: GroupID) -> ResourceID? { "vm1" }

    func testDirectivesBecomeTasksForTheRightNode() {
        guard case .tasks(let live) = TaskPlanner.plan(Directive(.liveMigrate(g, from: "h1", to: "h2"), reason: "drain"), taskID: "t1") else { return XCTFail() }
        XCTAssertEqual(live.map(\.node), ["h1"], "the source drives a live migration")
        XCTAssertEqual(live.first?.step, .liveMigrate(to: "h2"))
        XCTAssertEqual(live.first?.id, "t1")
        guard case .tasks(let quick) = TaskPlanner.plan(Directive(.quickMigrate(g, from: "h1", to: "h2"), reason: "r"), taskID: "t2") else { return XCTFail() }
        XCTAssertEqual(quick.first?.step, .quickSave(to: "h2"))
        XCTAssertEqual(TaskPlanner.plan(Directive(.waitUntil(Timestamp(milliseconds: 5)), reason: "r"), taskID: "t3"), .timer(Timestamp(milliseconds: 5)))
        XCTAssertEqual(TaskPlanner.plan(Directive(.fenceNode("h3"), reason: "r"), taskID: "t4"), .log(severity: .warning))
    }

    func testQuickMigrationIsTwoSteps() {
        let save = AgentTask(id: "t", group: g, node: "h1", step: .quickSave(to: "h2"), reason: "move")
        let saved = TaskPlanner.plan(TaskReport(task: save), vmOf: vm)
        XCTAssertEqual(saved.events, [])
        XCTAssertEqual(saved.next?.node, "h2")
        XCTAssertEqual(saved.next?.step, .quickRestore(from: "h1"))
        XCTAssertEqual(saved.next?.id, "t-restore", "the restore has an id of its own")
        let restored = TaskPlanner.plan(TaskReport(task: saved.next!), vmOf: vm)
        XCTAssertEqual(restored.events, [.groupOnline(g, on: "h2")])
        let failed = TaskPlanner.plan(TaskReport(task: saved.next!, failure: "restore refused"), vmOf: vm)
        XCTAssertEqual(failed.events, [.moveFailed(g, .quick, from: "h1", runningOn: nil)])
    }

    func testFailuresNameTheResourceAndWhereItStillRuns() {
        let start = AgentTask(id: "t", group: g, node: "h1", step: .bringOnline(cause: .start), reason: "r")
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: start, failure: "x"), vmOf: vm).events, [.resourceFailed(g, "vm1", on: "h1")])
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: start, failure: "x", failedResource: "cfg"), vmOf: vm).events,
                       [.resourceFailed(g, "cfg", on: "h1")])
        let live = AgentTask(id: "t", group: g, node: "h1", step: .liveMigrate(to: "h2"), reason: "r")
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: live, failure: "x", stillRunningHere: true), vmOf: vm).events,
                       [.moveFailed(g, .live, from: "h1", runningOn: "h1")])
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: live), vmOf: vm).events, [.groupOnline(g, on: "h2")])
        let refused = TaskReport(task: start, failure: "x", refusedByDiskLocks: true)
        XCTAssertEqual(TaskPlanner.plan(refused, vmOf: vm).events, [.startRefusedLocked(g, on: "h1")], "a lock refusal is no failure")
        let stop = AgentTask(id: "t", group: g, node: "h1", step: .takeOffline, reason: "r")
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: stop, failure: "busy"), vmOf: vm).events, [], "not offline: nothing to report")
    }
}
