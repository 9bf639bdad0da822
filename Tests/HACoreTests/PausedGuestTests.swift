import HACore
import XCTest

/// Guests that QEMU paused on a disk I/O error, on the node instance alone with injected time: each
/// paused-guest behaviour, and what is not such a pause.
final class PausedGuestTests: XCTestCase {
    /// A node with one group per behaviour, each started here and watched.
    private struct Host {
        var instance = NodeInstance(node: "n1")
        var now = Timestamp.zero

        init() {
            _ = instance.handle(.definitions([
                Fixture.group("resume"),
                Fixture.group("leave", policy: GroupPolicy(pausedGuest: .leavePaused)),
                Fixture.group("off", policy: GroupPolicy(pausedGuest: .powerOff)),
            ]), at: now)
            for g in ["resume", "leave", "off"] {
                let t = AgentTask(id: "start-\(g)", group: GroupID(g), node: "n1", step: .bringOnline(cause: .start), reason: "test")
                for event in [NodeEvent.taskArrived(t, revision: 1), .taskFinished(TaskReport(task: t)), .taskReportDelivered(taskID: t.id)] {
                    _ = instance.handle(event, at: now)
                }
            }
        }
    }

    private var host = Host()

    override func setUp() {
        host = Host()
        for g in ["resume", "leave", "off"] { XCTAssertTrue(host.instance.phase(of: GroupID(g)).isWatched) }
    }

    private var node: NodeInstance { host.instance }
    private var now: Timestamp { host.now }

    @discardableResult
    private func feed(_ event: NodeEvent, after seconds: Int64 = 0) -> [NodeDirective.Kind] {
        host.now = host.now + .seconds(seconds)
        return host.instance.handle(event, at: host.now).map(\.kind)
    }

    private func failures(_ kinds: [NodeDirective.Kind]) -> [ClusterEvent] {
        kinds.compactMap { if case .report(let e, _) = $0, case .resourceFailed = e { e } else { nil } }
    }

    func testAutoResumeResumesWithinTheGraceThenCountsTheGuestFailed() {
        XCTAssertEqual(feed(.domainSuspended("resume-vm", ioError: true)),
                       [.resume(["resume-vm"]), .schedule(.pausedGuests, at: now + .seconds(5))])
        XCTAssertEqual(feed(.domainSuspended("resume-vm", ioError: true), after: 1), [], "one pause, one grace")
        var waited: Int64 = 1
        while waited + 5 < 30 {
            XCTAssertEqual(feed(.timerFired(.pausedGuests), after: 5), [.resume(["resume-vm"]), .schedule(.pausedGuests, at: now + .seconds(5))])
            waited += 5
        }
        let kinds = feed(.timerFired(.pausedGuests), after: 30 - waited)
        XCTAssertEqual(failures(kinds), [.resourceFailed("resume", "resume-vm", on: "n1")], "still paused after the grace: failed")
        XCTAssertFalse(kinds.contains { if case .resume = $0 { true } else { false } })
        XCTAssertEqual(feed(.timerFired(.pausedGuests), after: 5), [], "reported once; nothing left to check")
    }

    func testAGuestThatRunsAgainWithinTheGraceIsNoFailure() {
        feed(.domainSuspended("resume-vm", ioError: true))
        feed(.domainResumed("resume-vm"), after: 3)
        XCTAssertEqual(feed(.timerFired(.pausedGuests), after: 2), [])
        XCTAssertEqual(feed(.timerFired(.pausedGuests), after: 60), [], "no failure once it runs again")
        XCTAssertTrue(node.phase(of: "resume").isWatched)
        // A later pause gets a grace of its own.
        XCTAssertEqual(feed(.domainSuspended("resume-vm", ioError: true), after: 1).first, .resume(["resume-vm"]))
    }

    func testLeavePausedNeverFailsTheGuest() {
        XCTAssertEqual(feed(.domainSuspended("leave-vm", ioError: true)), [])
        XCTAssertEqual(feed(.timerFired(.pausedGuests), after: 3600), [])
        XCTAssertTrue(node.phase(of: "leave").isWatched)
    }

    func testPowerOffFailsTheGuestAtOnce() {
        let kinds = feed(.domainSuspended("off-vm", ioError: true))
        XCTAssertEqual(failures(kinds), [.resourceFailed("off", "off-vm", on: "n1")])
        XCTAssertEqual(kinds.count, 1, "no resume: the restart or failover powers it off")
    }

    func testAPauseForAnotherReasonIsNoneOfThis() {
        XCTAssertEqual(feed(.domainSuspended("off-vm", ioError: false)), [], "an operator's or a migration's pause")
        XCTAssertEqual(feed(.domainSuspended("unknown-vm", ioError: true)), [], "not an HA guest")
    }

    func testAGroupFromBeforeThePolicyExistedAutoResumes() throws {
        // A record written before the setting existed has every other key and no "pausedGuest".
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(GroupPolicy(pausedGuest: .powerOff))) as? [String: Any])
        XCTAssertNotNil(object.removeValue(forKey: "pausedGuest"))
        let old = try JSONSerialization.data(withJSONObject: object)
        let policy = try JSONDecoder().decode(GroupPolicy.self, from: old)
        XCTAssertNil(policy.pausedGuest)
        XCTAssertEqual(policy.onPausedGuest, .autoResume)
    }

    // MARK: Paused before the agent saw it

    /// An agent that starts (or comes back after its libvirtd connection was down) finds guests QEMU
    /// paused on an I/O error meanwhile: no event will come for them, so its reconcile handles them
    /// by their group's behaviour, and a later reconcile does not start their grace again.
    func testAReconcileHandlesGuestsFoundPausedByAnIOError() {
        var fresh = NodeInstance(node: "n1")
        var at = Timestamp.zero
        _ = fresh.handle(.definitions([
            Fixture.group("resume"),
            Fixture.group("leave", policy: GroupPolicy(pausedGuest: .leavePaused)),
            Fixture.group("off", policy: GroupPolicy(pausedGuest: .powerOff)),
        ]), at: at)
        _ = fresh.handle(.started, at: at)
        let believed = Dictionary(uniqueKeysWithValues: ["resume", "leave", "off"].map { (GroupID($0), GroupState(phase: .online("n1"))) })
        let paused = ["resume", "leave", "off"].map { DomainSighting(name: "\($0)-vm", active: true, pausedByIOError: true) }
        _ = fresh.handle(.timerFired(.reconcile), at: at)
        let kinds = fresh.handle(.inventory(Inventory(domains: paused, believed: believed)), at: at).map(\.kind)
        XCTAssertEqual(failures(kinds), [.resourceFailed("off", "off-vm", on: "n1")], "power-off: failed at once")
        XCTAssertTrue(kinds.contains(.resume(["resume-vm"])), "auto-resume: resumed, its grace begins")
        XCTAssertFalse(kinds.contains { if case .resume(let d) = $0 { d.contains("leave-vm") } else { false } }, "leave paused: left")
        XCTAssertTrue(fresh.phase(of: "resume").isWatched)

        // Still paused at the next reconcile: the same pause, no fresh grace; past the grace it fails.
        at = at + .seconds(10)
        _ = fresh.handle(.timerFired(.reconcile), at: at)
        XCTAssertFalse(fresh.handle(.inventory(Inventory(domains: paused, believed: believed)), at: at).map(\.kind)
            .contains(.resume(["resume-vm"])), "one pause, one grace")
        at = at + .seconds(20)
        XCTAssertEqual(failures(fresh.handle(.timerFired(.pausedGuests), at: at).map(\.kind)), [.resourceFailed("resume", "resume-vm", on: "n1")])
    }

    /// A running guest or one paused otherwise (an operator, a migration) is nothing of the kind.
    func testAReconcileIgnoresGuestsNotPausedByAnIOError() {
        let groups = ["resume", "leave", "off"]
        let believed = Dictionary(uniqueKeysWithValues: groups.map { (GroupID($0), GroupState(phase: .online("n1"))) })
        _ = feed(.timerFired(.reconcile))
        let kinds = feed(.inventory(Inventory(domains: groups.map { DomainSighting(name: "\($0)-vm", active: true) }, believed: believed)))
        XCTAssertEqual(failures(kinds), [])
        XCTAssertFalse(kinds.contains { if case .resume = $0 { true } else { false } })
    }
}
