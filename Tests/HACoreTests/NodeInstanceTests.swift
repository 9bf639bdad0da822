import HACore
import XCTest

/// The node instance alone, with injected time: tasks, failure signs, probes, reconcile, self-fence.
final class NodeInstanceTests: XCTestCase {
    private var node = NodeInstance(node: "n1")
    private var now = Timestamp.zero

    override func setUp() {
        node = NodeInstance(node: "n1")
        now = .zero
        _ = node.handle(.definitions([Fixture.group("a"), Fixture.group("b")]), at: now)
    }

    @discardableResult
    private func feed(_ event: NodeEvent, after seconds: Int64 = 0) -> [NodeDirective.Kind] {
        now = now + .seconds(seconds)
        return node.handle(event, at: now).map(\.kind)
    }

    private func task(_ id: String, _ g: GroupID, _ step: AgentTask.Step) -> AgentTask {
        AgentTask(id: id, group: g, node: "n1", step: step, reason: "test \(id)")
    }

    /// Runs a task to its delivered report.
    private func complete(_ t: AgentTask, failure: String? = nil, stillRunning: Bool = false) {
        XCTAssertEqual(feed(.taskArrived(t, revision: 1)), [.perform(t)])
        let report = TaskReport(task: t, failure: failure, stillRunningHere: stillRunning)
        XCTAssertEqual(feed(.taskFinished(report)), [.reportTask(report, revision: 1)])
        feed(.taskReportDelivered(taskID: t.id))
    }

    private func failures(_ kinds: [NodeDirective.Kind]) -> [ClusterEvent] {
        kinds.compactMap { if case .report(let e, _) = $0, case .resourceFailed = e { e } else { nil } }
    }

    func testTasksRunOneAtATimePerGroupInOrderAndOtherGroupsAtOnce() {
        let start = task("1", "a", .bringOnline(cause: .start)), stop = task("2", "a", .takeOffline)
        let other = task("3", "b", .bringOnline(cause: .start))
        XCTAssertEqual(feed(.taskArrived(start, revision: 5)), [.perform(start)])
        XCTAssertEqual(feed(.taskArrived(stop, revision: 6)), [], "waits behind the running task of its group")
        XCTAssertEqual(feed(.taskArrived(start, revision: 5)), [], "a task seen again (watch replay) runs once")
        XCTAssertEqual(feed(.taskArrived(other, revision: 7)), [.perform(other)], "another group's task runs at once")
        let done = TaskReport(task: start)
        XCTAssertEqual(feed(.taskFinished(done)), [.reportTask(done, revision: 5)])
        XCTAssertEqual(feed(.taskReportDelivered(taskID: "1")), [.perform(stop)], "the next starts once the leader has the report")
        XCTAssertEqual(node.phase(of: "b"), .performing(other, revision: 7, wasWatched: false))
    }

    func testAnUndeliveredTaskReportIsSentAgainAndHoldsTheGroup() {
        let start = task("1", "a", .bringOnline(cause: .start)), next = task("2", "a", .takeOffline)
        feed(.taskArrived(start, revision: 1))
        feed(.taskArrived(next, revision: 2))
        let done = TaskReport(task: start)
        feed(.taskFinished(done))
        XCTAssertEqual(feed(.taskReportLost(taskID: "1")), [])
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "crashed")), [], "not watched before the leader knows it runs")
        let kinds = feed(.timerFired(.reconcile), after: 10)
        XCTAssertEqual(kinds.first, .reportTask(done, revision: 1), "sent again at the next reconcile")
        XCTAssertEqual(feed(.taskReportDelivered(taskID: "1")), [.perform(next)])
    }

    func testAStopOfAWatchedDomainIsReportedOnceAndItsOwnStopsAreNot() {
        complete(task("1", "a", .bringOnline(cause: .start)))
        XCTAssertEqual(node.phase(of: "a"), .watched(failureReported: false))
        let kinds = feed(.domainStopped("a-vm", detail: "crashed"))
        XCTAssertEqual(failures(kinds), [.resourceFailed("a", "a-vm", on: "n1")])
        XCTAssertEqual(failures(feed(.domainStopped("a-vm", detail: "crashed"))), [], "the same failure is not reported twice")
        // The report got lost: the next sign (here the reconcile) reports it again.
        feed(.reportLost(.resourceFailed("a", "a-vm", on: "n1")))
        let believed = GroupState(phase: .online("n1"))
        feed(.timerFired(.reconcile), after: 10)
        XCTAssertEqual(failures(feed(.inventory(Inventory(domains: [], believed: ["a": believed])))), [.resourceFailed("a", "a-vm", on: "n1")])
        // The leader restarts it; then it stops it: that stop is no failure.
        complete(task("2", "a", .restart("a-vm")))
        complete(task("3", "a", .takeOffline))
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "shutdown")), [])
        XCTAssertEqual(node.phase(of: "a"), .idle)
        // A stop the shell announced for a restart (a hung guest powered off) is no failure either.
        complete(task("4", "a", .bringOnline(cause: .start)))
        feed(.taskArrived(task("5", "a", .restart("a-vm")), revision: 1))
        feed(.stopsExpected(["a-vm"]))
        feed(.taskFinished(TaskReport(task: task("5", "a", .restart("a-vm")))))
        feed(.taskReportDelivered(taskID: "5"))
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "destroyed")), [])
        XCTAssertEqual(node.phase(of: "a"), .watched(failureReported: false))
    }

    func testAFailedMoveLeavesTheGroupWatchedWhereItStillRuns() {
        complete(task("1", "a", .bringOnline(cause: .start)))
        complete(task("2", "a", .liveMigrate(to: "n2")), failure: "refused", stillRunning: true)
        XCTAssertEqual(node.phase(of: "a"), .watched(failureReported: false))
        complete(task("3", "a", .liveMigrate(to: "n2")))
        XCTAssertEqual(node.phase(of: "a"), .idle)
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "migrated")), [], "the migration's stop is expected")
        // A live migration into this host: watched from its start event.
        feed(.domainStarted("b-vm", migratedIn: true))
        XCTAssertEqual(node.phase(of: "b"), .watched(failureReported: false))
    }

    func testProbesCountConsecutiveFailuresAndTheGuestAgentOnceItAnswered() {
        var settings = NodeSettings()
        settings.probeFailures = 2
        settings.probeCommand = ["/bin/probe"]
        settings.probeStartGrace = .seconds(20)
        feed(.settingsChanged(settings))
        complete(task("1", "a", .bringOnline(cause: .start)))
        XCTAssertEqual(feed(.timerFired(.probe), after: 2), [.learnGuestAgentChannels(["a-vm"])])
        // Booting: the guest agent is asked (to arm it), the probe command not yet.
        XCTAssertEqual(feed(.guestAgentChannels(["a-vm": true])), [.probe([Probe(domain: "a-vm", method: .agent(armed: false))])])
        let unarmed = Probe(domain: "a-vm", method: .agent(armed: false))
        XCTAssertEqual(feed(.probed([unarmed: .notCounted])), [.schedule(.probe, at: now + settings.probeInterval)])
        // Past the grace, the command decides until the agent answers.
        XCTAssertEqual(feed(.timerFired(.probe), after: 20), [.probe([Probe(domain: "a-vm", method: .agentThenCommand(["/bin/probe"]))])])
        let either = Probe(domain: "a-vm", method: .agentThenCommand(["/bin/probe"]))
        XCTAssertEqual(failures(feed(.probed([either: .dead]))), [], "one failure is below the threshold")
        feed(.timerFired(.probe), after: 2)
        let answered = feed(.probed([either: .agentAnswered]))
        XCTAssertEqual(failures(answered), [], "an answer resets the count")
        XCTAssertEqual(answered.first, .report(.guestsAlive("a", on: "n1"), .guestsAlive), "the first answer since the start is told once")
        XCTAssertEqual(feed(.timerFired(.probe), after: 2), [.probe([Probe(domain: "a-vm", method: .agent(armed: true))])])
        let armed = Probe(domain: "a-vm", method: .agent(armed: true))
        feed(.probed([armed: .dead]))
        feed(.timerFired(.probe), after: 2)
        let kinds = feed(.probed([armed: .dead]))
        XCTAssertEqual(failures(kinds), [.resourceFailed("a", "a-vm", on: "n1")])
        guard case .report(_, .probeFailed("a-vm", .agent(armed: true), 2))? = kinds.first else { return XCTFail("\(kinds)") }
        XCTAssertEqual(feed(.timerFired(.probe), after: 2), [.schedule(.probe, at: now + settings.probeInterval)], "a failed group is not probed")
    }

    func testAStartedGuestIsProbedAfreshAndARedefinitionAfterTheStartIsWrittenBack() {
        complete(task("1", "a", .bringOnline(cause: .start)))
        XCTAssertEqual(feed(.domainRedefined("a-vm"), after: 1), [], "the start's own define")
        guard case .writeBack("a", "a-vm", "a-vm")? = feed(.domainRedefined("a-vm"), after: 2).first else { return XCTFail() }
    }

    func testLeaseLossFencesEveryHADomainAndHoldsTasksUntilTheLeaseIsBack() {
        complete(task("1", "a", .bringOnline(cause: .start)))
        let waiting = task("2", "b", .bringOnline(cause: .start))
        let running = task("3", "a", .takeOffline)
        feed(.taskArrived(running, revision: 3))
        XCTAssertEqual(feed(.leaseLost(reason: "renewals failing")), [.selfFence(["a-vm", "b-vm"])])
        XCTAssertEqual(feed(.taskArrived(waiting, revision: 4)), [], "no task starts while fenced")
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "destroyed")), [], "the fence's own stops are no failures")
        XCTAssertEqual(feed(.timerFired(.reconcile)).filter { $0 == .takeInventory }, [], "no reconcile while fenced")
        XCTAssertEqual(feed(.taskFinished(TaskReport(task: running))), [], "the end of a task under way is not reported: it would arrive stale")
        XCTAssertEqual(node.phase(of: "a"), .idle)
        XCTAssertEqual(feed(.leaseHeld), [.perform(waiting)])
        XCTAssertEqual(feed(.leaseHeld), [], "holding the lease again is news once")
    }

    func testWithdrawnOrResyncedAwayTasksNeverRun() {
        let first = task("1", "a", .bringOnline(cause: .start))
        feed(.taskArrived(first, revision: 1))
        feed(.taskArrived(task("2", "a", .takeOffline), revision: 2))
        feed(.taskWithdrawn("a"))
        feed(.taskFinished(TaskReport(task: first)))
        XCTAssertEqual(feed(.taskReportDelivered(taskID: "1")), [])
        let stale = task("3", "b", .bringOnline(cause: .start)), fresh = task("4", "b", .takeOffline)
        feed(.taskArrived(task("5", "b", .bringOnline(cause: .start)), revision: 3))
        feed(.taskArrived(stale, revision: 4))
        XCTAssertEqual(feed(.tasksResynced([fresh: 9])), [], "the stale task is dropped, the fresh one waits its turn")
        feed(.taskFinished(TaskReport(task: task("5", "b", .bringOnline(cause: .start)))))
        XCTAssertEqual(feed(.taskReportDelivered(taskID: "5")), [.perform(fresh)])
    }

    func testReconcileAdoptsReportsAndUndefinesAsTheClusterSees() {
        let here = GroupState(phase: .online("n1")), elsewhere = GroupState(phase: .online("n2"))
        var lost = GroupState()
        lost.lastHost = "n1"
        _ = node.handle(.definitions([Fixture.group("a"), Fixture.group("b"), Fixture.group("c"), Fixture.group("d")]), at: now)
        feed(.timerFired(.reconcile))
        let kinds = feed(.inventory(Inventory(
            domains: [DomainSighting(name: "a-vm", active: true), DomainSighting(name: "b-vm", active: true),
                      DomainSighting(name: "c-vm", active: false)],
            believed: ["b": elsewhere, "c": elsewhere, "d": lost])))
        XCTAssertEqual(kinds.prefix(4), [
            .report(.groupOnline("a", on: "n1"), .runsUnplaced(domain: "a-vm", status: nil)),
            .report(.groupOnline("b", on: "n1"), .runsUnplaced(domain: "b-vm", status: .online("n2"))),
            .undefine(["c-vm"]),
            .report(.groupOffline("d", on: "n1"), .notHere),
        ])
        let restarting = GroupState(phase: .restarting("n1", "b-vm"))
        feed(.timerFired(.reconcile), after: 10)
        let adopted = feed(.inventory(Inventory(domains: [DomainSighting(name: "a-vm", active: true), DomainSighting(name: "b-vm", active: true)],
                                                believed: ["a": here, "b": restarting])))
        XCTAssertEqual(adopted.first, .report(.groupOnline("b", on: "n1"), .adopted(domain: "b-vm")),
                       "adopted with a report where the coordinator does not have it online here yet, silently where it has")
        XCTAssertEqual(node.phase(of: "a"), .watched(failureReported: false))
        XCTAssertEqual(node.phase(of: "b"), .watched(failureReported: false))
        XCTAssertEqual(adopted.last, .schedule(.reconcile, at: now + NodeSettings().reconcileInterval))
    }

    /// A domain paused for a migration (an agent restarted while its previous process migrated the
    /// guest, or the incoming side on a target) is neither adopted nor reported: it is in flux until
    /// the migration ends; once it runs, it is adopted as any other.
    func testReconcileLeavesADomainPausedForAMigrationAlone() {
        let here = GroupState(phase: .online("n1")), elsewhere = GroupState(phase: .online("n2"))
        _ = node.handle(.definitions([Fixture.group("a"), Fixture.group("b")]), at: now)
        feed(.timerFired(.reconcile))
        let kinds = feed(.inventory(Inventory(
            domains: [DomainSighting(name: "a-vm", active: true, migrating: true), DomainSighting(name: "b-vm", active: true, migrating: true)],
            believed: ["a": here, "b": elsewhere])))
        XCTAssertEqual(kinds, [.schedule(.reconcile, at: now + NodeSettings().reconcileInterval)],
                       "no adoption, no report of a guest running unplaced, no 'missing on its owner'")
        XCTAssertEqual(node.phase(of: "b"), .idle)
        feed(.timerFired(.reconcile), after: 10)
        let after = feed(.inventory(Inventory(domains: [DomainSighting(name: "b-vm", active: true)], believed: ["b": elsewhere])))
        XCTAssertEqual(after.first, .report(.groupOnline("b", on: "n1"), .runsUnplaced(domain: "b-vm", status: .online("n2"))))
    }

    /// Quick migration across two node instances and the planner: save on the source, restore on the target.
    func testQuickMigrationIsSavedOnTheSourceThenRestoredOnTheTarget() {
        var target = NodeInstance(node: "n2")
        _ = target.handle(.definitions([Fixture.group("a")]), at: now)
        complete(task("1", "a", .bringOnline(cause: .start)))
        guard case .tasks(let tasks) = TaskPlanner.plan(Directive(.quickMigrate("a", from: "n1", to: "n2"), reason: "drain"), taskID: "2"),
              let save = tasks.first else { return XCTFail() }
        complete(save)
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "saved")), [], "the save's stop is expected")
        let plan = TaskPlanner.plan(TaskReport(task: save)) { _ in "a-vm" }
        guard let restore = plan.next else { return XCTFail("a save is followed by its restore") }
        XCTAssertEqual(restore.node, "n2")
        XCTAssertEqual(target.handle(.taskArrived(restore, revision: 1), at: now).map(\.kind), [.perform(restore)])
        _ = target.handle(.taskFinished(TaskReport(task: restore)), at: now)
        _ = target.handle(.taskReportDelivered(taskID: restore.id), at: now)
        XCTAssertEqual(target.phase(of: "a"), .watched(failureReported: false))
        XCTAssertEqual(TaskPlanner.plan(TaskReport(task: restore)) { _ in "a-vm" }.events, [.groupOnline("a", on: "n2")])
    }
}

extension NodeInstanceTests {
    func testAStartThatEndsAfterTheSelfFenceIsPoweredOffAndAReportNotYetDeliveredIsDropped() {
        let start = task("1", "a", .bringOnline(cause: .start)), stop = task("2", "b", .takeOffline)
        feed(.taskArrived(start, revision: 1))
        feed(.taskArrived(stop, revision: 2))
        feed(.taskFinished(TaskReport(task: stop)))
        feed(.taskReportLost(taskID: "2"))
        feed(.leaseLost(reason: "renewals failing"))
        XCTAssertEqual(feed(.taskFinished(TaskReport(task: start))), [.selfFence(["a-vm"])], "the guest it just started is stopped too")
        XCTAssertEqual(node.phase(of: "a"), .idle)
        XCTAssertEqual(node.phase(of: "b"), .idle, "the undelivered report is dropped")
        feed(.leaseHeld)
        XCTAssertEqual(feed(.timerFired(.reconcile)), [.takeInventory], "nothing stale is sent again")
    }
}
