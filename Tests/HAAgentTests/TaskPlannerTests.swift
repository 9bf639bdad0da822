import HACore
import XCTest
@testable import HAAgent

/// The leader shell's pure translation between directives, node tasks and coordinator events.
final class TaskPlannerTests: XCTestCase {
    private let g: GroupID = "g1"
    private func vm(_: GroupID) -> ResourceID? { "vm1" }

    func testDirectivesBecomeTasksForTheRightNode() {
        guard case .tasks(let live) = TaskPlanner.plan(Directive(.liveMigrate(g, from: "h1", to: "h2"), reason: "drain")) else { return XCTFail() }
        XCTAssertEqual(live.map(\.node), ["h1"], "the source drives a live migration")
        XCTAssertEqual(live.first?.step, .liveMigrate(to: "h2"))
        guard case .tasks(let quick) = TaskPlanner.plan(Directive(.quickMigrate(g, from: "h1", to: "h2"), reason: "r")) else { return XCTFail() }
        XCTAssertEqual(quick.first?.step, .quickSave(to: "h2"))
        XCTAssertEqual(TaskPlanner.plan(Directive(.waitUntil(Timestamp(milliseconds: 5)), reason: "r")), .timer(Timestamp(milliseconds: 5)))
        XCTAssertEqual(TaskPlanner.plan(Directive(.fenceNode("h3"), reason: "r")), .log(severity: .warning))
    }

    func testQuickMigrationIsTwoSteps() {
        let save = AgentTask(group: g, node: "h1", step: .quickSave(to: "h2"), reason: "move")
        let saved = TaskPlanner.plan(TaskReport(task: save), vmOf: vm)
        XCTAssertEqual(saved.events, [])
        XCTAssertEqual(saved.next?.node, "h2")
        XCTAssertEqual(saved.next?.step, .quickRestore(from: "h1"))
        let restored = TaskPlanner.plan(TaskReport(task: saved.next!), vmOf: vm)
        XCTAssertEqual(restored.events, [.groupOnline(g, on: "h2")])
        let failed = TaskPlanner.plan(TaskReport(task: saved.next!, failure: "restore refused"), vmOf: vm)
        XCTAssertEqual(failed.events, [.moveFailed(g, .quick, from: "h1", runningOn: nil)])
    }

    func testFailuresNameTheResourceAndWhereItStillRuns() {
        let start = AgentTask(group: g, node: "h1", step: .bringOnline(cause: .start), reason: "r")
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: start, failure: "x"), vmOf: vm).events, [.resourceFailed(g, "vm1", on: "h1")])
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: start, failure: "x", failedResource: "cfg"), vmOf: vm).events,
                       [.resourceFailed(g, "cfg", on: "h1")])
        let live = AgentTask(group: g, node: "h1", step: .liveMigrate(to: "h2"), reason: "r")
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: live, failure: "x", stillRunningHere: true), vmOf: vm).events,
                       [.moveFailed(g, .live, from: "h1", runningOn: "h1")])
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: live), vmOf: vm).events, [.groupOnline(g, on: "h2")])
        let refused = TaskReport(task: start, failure: "x", refusedByDiskLocks: true)
        XCTAssertEqual(TaskPlanner.plan(refused, vmOf: vm).events, [.startRefusedLocked(g, on: "h1")], "a lock refusal is no failure")
        let stop = AgentTask(group: g, node: "h1", step: .takeOffline, reason: "r")
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: stop, failure: "busy"), vmOf: vm).events, [], "not offline: nothing to report")
    }

    func testDiskLockRefusalsAreRecognisedByLibvirtsAndQEMUsWords() {
        struct Failure: Error, CustomStringConvertible { let description: String }
        // As libvirt 9 / QEMU 7.2 word them (deploy/lab, ../shared/lab-notes.md).
        XCTAssertTrue(DiskLockRefusal.matches(Failure(description:
            "resource busy: Lockspace resource '5b1d0b7f0c0e4f53a0d6d6b1a5c0e2a97f4b3f1c9d8e7a6b5c4d3e2f1a0b9c8d' is locked")))
        XCTAssertTrue(DiskLockRefusal.matches(Failure(description:
            "internal error: qemu unexpectedly closed the monitor: Failed to get \"write\" lock Is another process using the image [/srv/vigil/vm1.qcow2]?")))
        XCTAssertFalse(DiskLockRefusal.matches(Failure(description: "Cannot access storage file '/srv/vigil/vm1.qcow2': No such file or directory")))
    }
}
