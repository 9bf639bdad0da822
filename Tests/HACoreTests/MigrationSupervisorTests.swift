import HACore
import XCTest

/// The live-migration ladder, driven by progress samples and injected time.
final class MigrationSupervisorTests: XCTestCase {
    private let mib: UInt64 = 1 << 20
    private func t(_ seconds: Int64) -> Timestamp { Timestamp(milliseconds: seconds * 1000) }
    private func sample(remaining: UInt64, total: UInt64 = 130 << 20) -> MigrationProgress {
        MigrationProgress(elapsedMilliseconds: 0, dataTotal: total, dataProcessed: total - min(total, remaining), dataRemaining: remaining,
                          dirtyRateBytesPerSecond: 30 << 20, iteration: 4)
    }
    /// A 1 GiB guest: a 150 s budget per pass with KubeVirt's defaults.
    private func supervisor(_ limits: MigrationLimits = MigrationLimits()) -> MigrationSupervisor {
        MigrationSupervisor(memoryMiB: 1024, limits: limits, at: t(0))
    }

    func testAConvergingCopyIsLeftAlone() {
        var s = supervisor()
        for second in 1...140 {
            XCTAssertEqual(s.sampled(sample(remaining: UInt64(1000 - second) * mib), at: t(Int64(second))), [])
        }
        XCTAssertEqual(s.rung, .precopy)
        XCTAssertFalse(s.autoConverge, "the first pass runs the guest at full speed")
        s.ended()
        XCTAssertEqual(s.rung, .precopy, "it ended on its first pass")
    }

    func testNoProgressClimbsToAutoConvergeThenAborts() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(20)))
        XCTAssertEqual(s.sampled(sample(remaining: 80 * mib), at: t(1)), [])
        // Remaining goes up and down (new dirty pages each pass) but never below 80 MiB.
        for second in 2...20 { XCTAssertEqual(s.sampled(sample(remaining: UInt64(80 + second % 5) * mib), at: t(Int64(second))), []) }
        let first = s.sampled(sample(remaining: 81 * mib), at: t(21))
        XCTAssertEqual(first.map(\.kind), [.restartWithAutoConverge])
        XCTAssertTrue(first[0].reason.contains("no progress in 20s"), first[0].reason)
        XCTAssertTrue(first[0].reason.contains("at best 80 MiB still to copy"), first[0].reason)
        XCTAssertEqual(s.tick(at: t(25)), [], "nothing is decided while the old pass ends")
        XCTAssertEqual(s.tick(at: t(26)).map(\.kind), [.restartWithAutoConverge], "a pass that ignores its abort is asked again")

        s.passStarted(at: t(61))
        XCTAssertTrue(s.autoConverge)
        XCTAssertEqual(s.sampled(sample(remaining: 90 * mib), at: t(62)), [], "a new pass measures its own progress")
        XCTAssertEqual(s.tick(at: t(81)), [])
        let second = s.tick(at: t(82))
        XCTAssertEqual(second.map(\.kind), [.abort])
        XCTAssertTrue(second[0].reason.contains("post-copy not allowed"), second[0].reason)
        XCTAssertTrue(second[0].reason.contains("falls back to quick migration"), second[0].reason)
        XCTAssertEqual(s.rung, .abort)
    }

    func testCompletionBudgetScalesWithMemoryEvenWhileProgressing() {
        // 128 MiB at 40 s per GiB: 5 s per pass.
        var s = MigrationSupervisor(memoryMiB: 128, limits: MigrationLimits(completionPerGiB: .seconds(40)), at: t(0))
        XCTAssertEqual(s.passBudget, .seconds(5))
        XCTAssertEqual(s.nextCheck, t(5))
        for second in 1...4 { XCTAssertEqual(s.sampled(sample(remaining: UInt64(100 - second) * mib), at: t(Int64(second))), []) }
        let action = s.sampled(sample(remaining: 95 * mib), at: t(5))
        XCTAssertEqual(action.map(\.kind), [.restartWithAutoConverge])
        XCTAssertTrue(action[0].reason.contains("budget of 5s (40s per GiB of 128 MiB)"), action[0].reason)
    }

    func testPostCopyOnlyWhereTheGroupAllowsItAndNeverAborted() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10), postCopy: true))
        XCTAssertTrue(s.postCopyCapable, "the job must start able to switch")
        XCTAssertEqual(s.tick(at: t(10)).map(\.kind), [.restartWithAutoConverge])
        s.passStarted(at: t(11))
        let action = s.tick(at: t(21))
        XCTAssertEqual(action.map(\.kind), [.startPostCopy])
        XCTAssertEqual(s.rung, .postCopy)
        XCTAssertEqual(s.tick(at: t(10_000)), [], "post-copy cannot be undone: it runs to its end")
        XCTAssertNil(s.nextCheck)
    }

    func testARefusedSwitchToPostCopyAbortsTheJob() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10), autoConverge: false, postCopy: true))
        XCTAssertEqual(s.tick(at: t(10)).map(\.kind), [.startPostCopy])
        let abort = s.postCopyRefused("not supported", at: t(11))
        XCTAssertEqual(abort.map(\.kind), [.abort])
        XCTAssertTrue(abort[0].reason.contains("not supported"), abort[0].reason)
        XCTAssertEqual(s.rung, .abort)
    }

    func testWithoutAutoConvergeAStuckCopyIsAbortedAndTheAbortAskedAgain() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10), autoConverge: false, abortRetry: .seconds(5)))
        let abort = s.tick(at: t(10))
        XCTAssertEqual(abort.map(\.kind), [.abort])
        XCTAssertTrue(abort[0].reason.contains("auto-converge not allowed"), abort[0].reason)
        XCTAssertEqual(s.nextCheck, t(15))
        XCTAssertEqual(s.tick(at: t(14)), [])
        XCTAssertEqual(s.tick(at: t(15)).map(\.kind), [.abort], "a job that ignores its abort is asked again")
        s.ended()
        XCTAssertEqual(s.tick(at: t(100)), [])
        XCTAssertEqual(s.rung, .abort, "it ended aborted")
    }

    func testARequestedAbortAbortsTheCopyAtOnceAndIsAskedAgainUntilTheJobEnds() {
        var s = supervisor(MigrationLimits(abortRetry: .seconds(5)))
        XCTAssertEqual(s.sampled(sample(remaining: 500 * mib), at: t(1)), [])
        let abort = s.abortRequested("the drain of h1 was aborted", at: t(2))
        XCTAssertEqual(abort.map(\.kind), [.abort])
        XCTAssertTrue(abort[0].reason.contains("the drain of h1 was aborted"), abort[0].reason)
        XCTAssertEqual(s.requestedAbort, "the drain of h1 was aborted")
        XCTAssertEqual(s.rung, .abort)
        XCTAssertEqual(s.abortRequested("again", at: t(3)), [], "one abort asked, not one per request")
        XCTAssertEqual(s.tick(at: t(7)).map(\.kind), [.abort], "a job that ignores its abort is asked again")
        s.ended()
        XCTAssertEqual(s.rung, .abort)
    }

    func testARequestedAbortDuringARestartStopsTheLadder() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10)))
        XCTAssertEqual(s.tick(at: t(10)).map(\.kind), [.restartWithAutoConverge])
        XCTAssertEqual(s.abortRequested("deadline", at: t(11)).map(\.kind), [.abort])
        s.passStarted(at: t(12))
        XCTAssertEqual(s.rung, .abort, "no pass with auto-converge starts after the abort")
        XCTAssertFalse(s.autoConverge)
    }

    func testARequestedAbortCannotUndoPostCopyNorAJobThatEnded() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10), autoConverge: false, postCopy: true))
        XCTAssertEqual(s.tick(at: t(10)).map(\.kind), [.startPostCopy])
        XCTAssertEqual(s.abortRequested("deadline", at: t(11)), [], "the guest already runs on the target")
        XCTAssertNil(s.requestedAbort)
        XCTAssertEqual(s.rung, .postCopy)
        var done = supervisor()
        done.ended()
        XCTAssertEqual(done.abortRequested("deadline", at: t(1)), [])
        XCTAssertNil(done.requestedAbort)
    }

    func testARequestedAbortOfAJobAlreadyAbortingMakesItEndAborted() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10), autoConverge: false))
        XCTAssertEqual(s.tick(at: t(10)).map(\.kind), [.abort])
        XCTAssertNil(s.requestedAbort, "the supervisor's own abort falls back")
        XCTAssertEqual(s.abortRequested("drain aborted", at: t(11)), [])
        XCTAssertEqual(s.requestedAbort, "drain aborted", "requested: it ends aborted, not falling back")
    }

    func testSamplesBeforeTheCopyStartsDoNotCountAsProgress() {
        var s = supervisor(MigrationLimits(noProgress: .seconds(10)))
        for second in 1...9 { XCTAssertEqual(s.sampled(sample(remaining: 0, total: 0), at: t(Int64(second))), []) }
        XCTAssertEqual(s.tick(at: t(10)).map(\.kind), [.restartWithAutoConverge], "a job stuck in its setup makes no progress")
    }

    func testGroupPolicyOverridesTheAgentDefaults() {
        let agent = MigrationLimits(completionPerGiB: .seconds(150), noProgress: .seconds(150))
        let limits = agent.overridden(by: MigrationPolicy(noProgress: .seconds(30), postCopy: true))
        XCTAssertEqual(limits.noProgress, .seconds(30))
        XCTAssertEqual(limits.completionPerGiB, .seconds(150))
        XCTAssertTrue(limits.postCopy)
        XCTAssertEqual(agent.overridden(by: nil), agent)
        XCTAssertFalse(MigrationLimits().postCopy, "post-copy is off by default")
    }
}

/// A group's migration limits as `vigil group policy --migration` takes them.
final class MigrationPolicyTextTests: XCTestCase {
    func testSettingsRoundTripAndDefaultClears() throws {
        let policy = try MigrationPolicy(text: "completion-per-gib=60s,no-progress=30s,auto-converge=off,post-copy=on")
        XCTAssertEqual(policy, MigrationPolicy(completionPerGiB: .seconds(60), noProgress: .seconds(30), autoConverge: false, postCopy: true))
        XCTAssertEqual(try MigrationPolicy(text: policy.text), policy)
        XCTAssertTrue(try MigrationPolicy(text: "default").isEmpty)
        XCTAssertEqual(MigrationPolicy().text, "default")
    }

    func testBadSettingsAreNamed() {
        func message(_ text: String) -> String {
            do { _ = try MigrationPolicy(text: text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("post-copy=yes").contains("post-copy is on or off"), message("post-copy=yes"))
        XCTAssertTrue(message("no-progress=0s").contains("longer than zero"))
        XCTAssertTrue(message("speed=fast").contains("unknown migration setting 'speed'"))
        XCTAssertTrue(message("post-copy").contains("NAME=VALUE"))
    }
}
