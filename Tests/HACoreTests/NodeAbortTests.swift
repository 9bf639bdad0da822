import HACore
import XCTest

/// The node instance and the leader's requests to abort a live migration: which migration a request
/// stops, and when it is consumed.
final class NodeAbortTests: XCTestCase {
    private var node = NodeInstance(node: "n1")

    override func setUp() {
        node = NodeInstance(node: "n1")
        _ = node.handle(.definitions([Fixture.group("a"), Fixture.group("b")]), at: .zero)
    }

    @discardableResult
    private func feed(_ event: NodeEvent) -> [NodeDirective.Kind] { node.handle(event, at: .zero).map(\.kind) }

    private func live(_ id: String, _ g: GroupID = "a") -> AgentTask {
        AgentTask(id: id, group: g, node: "n1", step: .liveMigrate(to: "n2"), reason: "drain")
    }

    func testTheRunningMigrationIsAbortedAndTheRequestConsumedWhenItEndsBeforeItsReport() {
        let move = live("1")
        XCTAssertEqual(feed(.taskArrived(move, revision: 3)), [.perform(move)])
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "drain aborted", revision: 9)), [.abortMigration("a", reason: "drain aborted")])
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "drain aborted", revision: 9)), [], "a watch replay aborts once")
        let report = TaskReport(task: move, failure: "aborted", stillRunningHere: true)
        XCTAssertEqual(feed(.taskFinished(report)), [.consumeAbort("a", revision: 9), .reportTask(report, revision: 3)],
                       "consumed before the report, so the group's next move is never stopped by it")
        let next = live("2")
        feed(.taskReportDelivered(taskID: "1"))
        XCTAssertEqual(feed(.taskArrived(next, revision: 12)), [.perform(next)], "the next move runs")
    }

    func testARequestRewrittenDuringTheAbortIsConsumedAtItsNewestRevision() {
        let move = live("1")
        feed(.taskArrived(move, revision: 3))
        feed(.moveAbortRequested("a", reason: "drain aborted", revision: 9))
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "deadline", revision: 11)), [], "aborting already")
        let report = TaskReport(task: move, failure: "aborted", stillRunningHere: true)
        XCTAssertEqual(feed(.taskFinished(report)).first, .consumeAbort("a", revision: 11))
    }

    func testAMigrationWaitingHereIsAbortedAsItStarts() {
        let stop = AgentTask(id: "1", group: "a", node: "n1", step: .restart("a-vm"), reason: "restart")
        let move = live("2")
        feed(.taskArrived(stop, revision: 1))
        feed(.taskArrived(move, revision: 2))
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "deadline", revision: 5)), [], "kept for the migration waiting")
        feed(.taskFinished(TaskReport(task: stop)))
        XCTAssertEqual(feed(.taskReportDelivered(taskID: "1")), [.abortMigration("a", reason: "deadline"), .perform(move)],
                       "aborted before its job starts")
        XCTAssertEqual(feed(.taskFinished(TaskReport(task: move, failure: "aborted", stillRunningHere: true))).first,
                       .consumeAbort("a", revision: 5))
    }

    func testARequestBeforeItsTaskArrivedStopsItButNeverANewerMove() {
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "deadline", revision: 5)), [], "its task may yet come through the other watch")
        let written = live("1")
        XCTAssertEqual(feed(.taskArrived(written, revision: 4)), [.abortMigration("a", reason: "deadline"), .perform(written)],
                       "written before the request: the migration it was meant for")
        XCTAssertEqual(feed(.moveAbortRequested("b", reason: "deadline", revision: 5)), [])
        let newer = live("2", "b")
        XCTAssertEqual(feed(.taskArrived(newer, revision: 9)), [.consumeAbort("b", revision: 5), .perform(newer)],
                       "a move written after the request is a new one: not stopped, and the request is stale")
    }

    func testARequestForAMigrationRunningSinceAfterItIsConsumedAndStopsNothing() {
        let move = live("1")
        feed(.taskArrived(move, revision: 9))
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "deadline", revision: 5)), [.consumeAbort("a", revision: 5)])
    }

    func testARequestNothingHereCouldStopIsConsumedAtTheNextReconcile() {
        XCTAssertEqual(feed(.moveAbortRequested("a", reason: "deadline", revision: 5)), [])
        let quick = AgentTask(id: "2", group: "b", node: "n1", step: .quickSave(to: "n2"), reason: "drain")
        feed(.taskArrived(quick, revision: 3))
        XCTAssertEqual(feed(.moveAbortRequested("b", reason: "deadline", revision: 8)), [], "a quick migration's save is no live migration")
        let reconcile = feed(.timerFired(.reconcile))
        XCTAssertEqual(Array(reconcile.prefix(2)), [.consumeAbort("a", revision: 5), .consumeAbort("b", revision: 8)])
        let move = live("3")
        XCTAssertEqual(feed(.taskArrived(move, revision: 4)), [.perform(move)], "a consumed request stops nothing")
    }

    func testAWithdrawnRequestNoLongerStopsTheWaitingMigration() {
        let stop = AgentTask(id: "1", group: "a", node: "n1", step: .restart("a-vm"), reason: "restart")
        feed(.taskArrived(stop, revision: 1))
        feed(.taskArrived(live("2"), revision: 2))
        feed(.moveAbortRequested("a", reason: "deadline", revision: 5))
        feed(.moveAbortWithdrawn("a"))
        feed(.taskFinished(TaskReport(task: stop)))
        XCTAssertEqual(feed(.taskReportDelivered(taskID: "1")), [.perform(live("2"))])
    }
}
