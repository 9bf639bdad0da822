import HACore
import XCTest

/// A host whose libvirtd stops answering or whose shared storage fails, on the node instance alone
/// with injected time: when it tells the leader it cannot host groups, what it fails over, and what
/// it leaves running.
final class HostHealthTests: XCTestCase {
    private var node = NodeInstance(node: "n1")
    private var now = Timestamp.zero

    override func setUp() {
        node = NodeInstance(node: "n1")
        now = .zero
        _ = node.handle(.definitions([Fixture.group("a"), Fixture.group("b")]), at: now)
        _ = node.handle(.started, at: now)
        let t = AgentTask(id: "start-a", group: "a", node: "n1", step: .bringOnline(cause: .start), reason: "test")
        for event in [NodeEvent.taskArrived(t, revision: 1), .taskFinished(TaskReport(task: t)), .taskReportDelivered(taskID: t.id)] {
            _ = node.handle(event, at: now)
        }
        XCTAssertTrue(node.phase(of: "a").isWatched)
    }

    @discardableResult
    private func feed(_ event: NodeEvent, after seconds: Int64 = 0) -> [NodeDirective.Kind] {
        now = now + .seconds(seconds)
        return node.handle(event, at: now).map(\.kind)
    }

    /// One check round: due, run, found.
    @discardableResult
    private func check(_ found: HostCheck, after seconds: Int64 = 5) -> [NodeDirective.Kind] {
        XCTAssertEqual(feed(.timerFired(.hostCheck), after: seconds), [.checkHost])
        return feed(.hostChecked(found))
    }

    private func reports(_ kinds: [NodeDirective.Kind]) -> [ClusterEvent] {
        kinds.compactMap { if case .report(let e, _) = $0 { e } else { nil } }
    }

    private func failures(_ kinds: [NodeDirective.Kind]) -> [ClusterEvent] {
        reports(kinds).filter { if case .resourceFailed = $0 { true } else { false } }
    }

    func testAHealthyHostSaysSoOnceAfterItsFirstCheck() {
        XCTAssertEqual(reports(check(HostCheck())), [.nodeRestored("n1")], "a leader may still hold an impairment from this agent's last life")
        XCTAssertEqual(reports(check(HostCheck())), [], "nothing changed: nothing to tell")
    }

    func testChecksNeverOverlap() {
        XCTAssertEqual(feed(.timerFired(.hostCheck)), [.checkHost])
        XCTAssertEqual(feed(.timerFired(.hostCheck), after: 5), [], "the last check has not ended (a hung call): no second one")
        XCTAssertTrue(feed(.hostChecked(HostCheck())).contains(.schedule(.hostCheck, at: now + .seconds(5))))
    }

    func testALostLibvirtdConnectionStopsTheHostTakingGroupsAndFailsNothing() {
        check(HostCheck())
        let lost = feed(.hypervisorLink(.lost(reason: "endOfFile")))
        XCTAssertEqual(reports(lost), [.nodeImpaired("n1", reason: "connection to libvirtd lost (endOfFile)")])
        XCTAssertEqual(failures(lost), [], "QEMU runs on without libvirtd: nothing here failed")
        XCTAssertTrue(node.phase(of: "a").isWatched)
        XCTAssertEqual(feed(.domainStopped("a-vm", detail: "stopped 0")).count, 1, "a stop libvirt does report still fails its group")
    }

    func testBackFromALostConnectionTheHostTakesGroupsAgainAndReconcilesAtOnce() {
        check(HostCheck())
        feed(.hypervisorLink(.lost(reason: "keepalive")))
        let back = feed(.hypervisorLink(.restored), after: 7)
        XCTAssertEqual(reports(back), [.nodeRestored("n1")])
        XCTAssertTrue(back.contains(.takeInventory), "events of the gap are lost: a reconcile finds what changed meanwhile")
        XCTAssertEqual(node.impairment, nil)
    }

    func testAHungLibvirtdStopsTheHostTakingGroupsUntilItAnswers() {
        check(HostCheck())
        let hung = check(HostCheck(hypervisor: "no answer within 10 s"))
        XCTAssertEqual(reports(hung), [.nodeImpaired("n1", reason: "libvirtd does not answer (no answer within 10 s)")])
        XCTAssertEqual(failures(hung), [], "no guest is failed (let alone killed) for its libvirtd's hang")
        XCTAssertEqual(reports(check(HostCheck(hypervisor: "no answer within 10 s"))), [], "told once")
        XCTAssertEqual(reports(check(HostCheck())), [.nodeRestored("n1")])
    }

    func testWhileLibvirtdIsImpairedProbesCountForNothing() {
        check(HostCheck(hypervisor: "no answer within 10 s"))
        XCTAssertEqual(feed(.timerFired(.probe), after: 2), [.schedule(.probe, at: now + .seconds(2))],
                       "a guest agent behind a hung libvirtd cannot answer: no probe round")
        check(HostCheck())
        XCTAssertNotEqual(feed(.timerFired(.probe), after: 2), [.schedule(.probe, at: now + .seconds(2))], "probes again once it answers")
    }

    func testSharedStorageCountsLostAfterItsFailuresInARowThenWatchedGroupsFailOver() {
        check(HostCheck())
        let failure = "/srv/vigil: Read-only file system"
        XCTAssertEqual(reports(check(HostCheck(storage: failure))), [], "one failed check is not yet a lost storage")
        XCTAssertEqual(reports(check(HostCheck())), [], "a pass in between starts the count again")
        XCTAssertEqual(reports(check(HostCheck(storage: failure))), [])
        XCTAssertEqual(reports(check(HostCheck(storage: failure))), [])
        let lost = check(HostCheck(storage: failure))
        let reason = "shared storage fails (3 checks in a row; last: \(failure))"
        XCTAssertEqual(reports(lost), [.nodeImpaired("n1", reason: reason), .resourceFailed("a", "a-vm", on: "n1")],
                       "first the host stops taking groups (so the leader fails over rather than restarting here), then its groups fail")
        XCTAssertEqual(node.phase(of: "b"), .idle, "a group that does not run here is none of it")
        XCTAssertEqual(reports(check(HostCheck(storage: "no answer for 15.0 s"))), [], "reported once, however its failure reads now")
        XCTAssertEqual(reports(check(HostCheck())), [.nodeRestored("n1")], "storage back: it takes groups again")
    }

    func testAReportTheLeaderDidNotGetIsSentAgainAfterTheNextCheck() {
        check(HostCheck())
        let event = ClusterEvent.nodeImpaired("n1", reason: "libvirtd does not answer (timeout)")
        XCTAssertEqual(reports(check(HostCheck(hypervisor: "timeout"))), [event])
        feed(.reportLost(event))
        XCTAssertEqual(reports(check(HostCheck(hypervisor: "timeout"))), [event])
    }

    func testBothProblemsAreNamed() {
        check(HostCheck(hypervisor: "timeout"))
        for _ in 1...3 { check(HostCheck(hypervisor: "timeout", storage: "EIO")) }
        XCTAssertEqual(node.impairment, "libvirtd does not answer (timeout); shared storage fails (3 checks in a row; last: EIO)")
    }
}
