import HACoordination
import Testing
@testable import HAAgent

/// When the host watchdog is petted, with injected time.
@Suite struct WatchdogTests {
    let ttl = Duration.seconds(5)
    let tolerance = Duration.seconds(3)

    private func fresh(at armed: Duration = .zero) -> WatchdogPetting {
        WatchdogPetting(armedAt: armed, healthTolerance: tolerance)
    }

    @Test func petsWhileTheLeaseAndTheHealthLoopAreFresh() {
        var p = fresh()
        p.healthTicked(at: .seconds(1))
        #expect(p.tick(now: .seconds(1), lease: .held(lastConfirmedSend: .seconds(1), ttl: ttl)) == .pet)
        #expect(p.state == .petting(lastPet: .seconds(1)))
        #expect(p.tick(now: .seconds(2), lease: .held(lastConfirmedSend: .seconds(1), ttl: ttl)) == .pet)
        #expect(p.state == .petting(lastPet: .seconds(2)))
    }

    @Test func stopsOnceTheLeaseMayHaveExpiredAndSaysWhyOnce() {
        var p = fresh()
        let lease = LeaseDeadline.State.held(lastConfirmedSend: .seconds(10), ttl: ttl)
        p.healthTicked(at: .milliseconds(14_999))
        #expect(p.tick(now: .milliseconds(14_999), lease: lease) == .pet, "the lease cannot have expired yet")
        #expect(p.tick(now: .seconds(15), lease: lease) == .stopPetting(.leaseStale(lastConfirmedSend: .seconds(10), window: ttl)))
        #expect(p.state == .starving(since: .seconds(15), lastPet: .milliseconds(14_999),
                                     reason: .leaseStale(lastConfirmedSend: .seconds(10), window: ttl)))
        p.healthTicked(at: .seconds(16))
        #expect(p.tick(now: .seconds(16), lease: lease) == .none, "no pet, and the reason is not repeated")
    }

    @Test func aPetWindowStopsPettingSoThatTheResetComesBeforeTheLeaseCanExpire() {
        // TTL 5 s, renewals every 1 s, a 3 s watchdog: pet for 2 s after the last confirmed renewal.
        let window = WatchdogPetting.window(ttl: ttl, renewal: .seconds(1), timeout: .seconds(3))
        #expect(window == .seconds(2))
        #expect(WatchdogPetting.resetAfterExpiry(ttl: ttl, window: window, timeout: .seconds(3)) == .zero,
                "reset by the time the lease may expire: its expiry is proof at once")
        var p = WatchdogPetting(armedAt: .zero, healthTolerance: tolerance, petWindow: window)
        let lease = LeaseDeadline.State.held(lastConfirmedSend: .seconds(10), ttl: ttl)
        p.healthTicked(at: .seconds(12))
        #expect(p.tick(now: .milliseconds(11_999), lease: lease) == .pet)
        #expect(p.tick(now: .seconds(12), lease: lease) == .stopPetting(.leaseStale(lastConfirmedSend: .seconds(10), window: window)))
        // Last pet at 11.999 s: the 3 s watchdog resets the host by 15 s, the earliest expiry.
        #expect(p.tick(now: .milliseconds(12_500), lease: .held(lastConfirmedSend: .seconds(12), ttl: ttl)) == .pet,
                "a renewal confirmed again: petting resumes before the watchdog fires")
    }

    @Test func theWindowNeverGoesBelowTwoRenewalsNorAboveTheTTL() {
        // A 10 s watchdog on a 5 s lease: the window cannot make up for it; the reset comes later.
        let long = WatchdogPetting.window(ttl: ttl, renewal: .seconds(1), timeout: .seconds(10))
        #expect(long == .seconds(2))
        #expect(WatchdogPetting.resetAfterExpiry(ttl: ttl, window: long, timeout: .seconds(10)) == .seconds(7))
        #expect(WatchdogPetting.window(ttl: .seconds(30), renewal: .seconds(1), timeout: .seconds(3)) == .seconds(27))
        #expect(WatchdogPetting.window(ttl: ttl, renewal: .seconds(3), timeout: .seconds(1)) == ttl)
    }

    @Test func stopsWhenFencedOrWithoutALease() {
        var fenced = fresh()
        #expect(fenced.tick(now: .seconds(1), lease: .fenced(at: .milliseconds(500))) == .stopPetting(.fenced(at: .milliseconds(500))))
        var unheld = fresh()
        #expect(unheld.tick(now: .seconds(1), lease: .unheld) == .stopPetting(.leaseNotHeld))
        #expect(unheld.state == .starving(since: .seconds(1), lastPet: .zero, reason: .leaseNotHeld))
    }

    @Test func stopsWhenTheHealthLoopStallsEvenWithAFreshLease() {
        var p = fresh()
        p.healthTicked(at: .seconds(1))
        let lease = LeaseDeadline.State.held(lastConfirmedSend: .seconds(3), ttl: ttl)
        #expect(p.tick(now: .seconds(4), lease: lease) == .pet, "exactly the tolerance old is still fresh")
        #expect(p.tick(now: .milliseconds(4_001), lease: lease) == .stopPetting(.healthStale(lastTick: .seconds(1))))
    }

    @Test func withoutAnyHealthTickTheToleranceCountsFromArming() {
        var p = fresh(at: .seconds(10))
        let lease = LeaseDeadline.State.held(lastConfirmedSend: .seconds(10), ttl: ttl)
        #expect(p.tick(now: .seconds(13), lease: lease) == .pet)
        #expect(p.tick(now: .seconds(14), lease: lease) == .stopPetting(.healthStale(lastTick: .seconds(10))))
    }

    @Test func anOlderHealthTickDoesNotMoveTheLastOneBack() {
        var p = fresh()
        p.healthTicked(at: .seconds(5))
        p.healthTicked(at: .seconds(2))
        #expect(p.lastHealthTick == .seconds(5))
    }

    @Test func whileStarvingTheReasonFollowsTheInputsWithoutANewAction() {
        var p = fresh()
        #expect(p.tick(now: .seconds(4), lease: .held(lastConfirmedSend: .seconds(3), ttl: ttl)) == .stopPetting(.healthStale(lastTick: .zero)))
        #expect(p.tick(now: .seconds(5), lease: .fenced(at: .milliseconds(4_500))) == .none)
        #expect(p.state == .starving(since: .seconds(4), lastPet: .zero, reason: .fenced(at: .milliseconds(4_500))))
    }

    @Test func freshInputsAgainResumePettingAndALaterStarvationIsReportedAgain() {
        var p = fresh()
        #expect(p.tick(now: .seconds(1), lease: .fenced(at: .seconds(1))) == .stopPetting(.fenced(at: .seconds(1))))
        // Rejoined with a new lease after the self-fence (the HA domains are stopped by then).
        p.healthTicked(at: .seconds(3))
        #expect(p.tick(now: .seconds(3), lease: .held(lastConfirmedSend: .seconds(2), ttl: ttl)) == .pet)
        #expect(p.state == .petting(lastPet: .seconds(3)))
        #expect(p.tick(now: .seconds(4), lease: .unheld) == .stopPetting(.leaseNotHeld))
    }

    @Test func aGracefulStopDisarmsOnceFromAnyStateAndEndsPetting() {
        var petting = fresh()
        #expect(petting.stopRequested(now: .seconds(1)) == .disarm)
        #expect(petting.state == .disarmed(at: .seconds(1)))
        #expect(petting.stopRequested(now: .seconds(2)) == .none, "disarmed once")
        petting.healthTicked(at: .seconds(3))
        #expect(petting.tick(now: .seconds(3), lease: .held(lastConfirmedSend: .seconds(3), ttl: ttl)) == .none,
                "a disarmed watchdog is never petted again")

        var starving = fresh()
        _ = starving.tick(now: .seconds(1), lease: .unheld)
        #expect(starving.stopRequested(now: .seconds(2)) == .disarm, "SIGTERM disarms even a starving watchdog")
    }

    /// The membership renews every second until it hangs after its renewal sent at 20 s (its state
    /// stays `.held` with that send time; it never fences), while the health loop runs on. The last
    /// pet must come before the earliest expiry of the lease (20 s + TTL).
    @Test func aHungMembershipStopsThePettingBeforeItsLeaseCanExpire() {
        var p = fresh()
        var lastPet = Duration.zero
        var stopped: (at: Duration, reason: WatchdogPetting.Starvation)?
        for tenth in 1...400 {
            let now = Duration.milliseconds(100 * tenth)
            p.healthTicked(at: now)
            let send = min(Duration.seconds(Int64(tenth / 10)), .seconds(20))
            guard tenth % 10 == 0 else { continue }  // pets every second
            switch p.tick(now: now, lease: .held(lastConfirmedSend: send, ttl: ttl)) {
            case .pet: lastPet = now
            case .stopPetting(let reason): if stopped == nil { stopped = (now, reason) }
            case .none, .disarm: break
            }
        }
        #expect(lastPet == .seconds(24))
        #expect(lastPet < .seconds(20) + ttl, "the watchdog fires at most its timeout after the earliest lease expiry")
        #expect(stopped?.at == .seconds(25))
        #expect(stopped?.reason == .leaseStale(lastConfirmedSend: .seconds(20), window: ttl))
    }
}
