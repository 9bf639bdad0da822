import HACoordination
import Testing

/// The self-fence deadline arithmetic, with injected time.
@Suite struct LeaseDeadlineTests {
    let ttl = Duration.seconds(5)

    @Test func noDeadlineWithoutALease() {
        var d = LeaseDeadline(fenceMargin: .milliseconds(1500))
        #expect(d.fenceDeadline == nil)
        #expect(d.tick(now: .seconds(100)) == .none)
        d.confirmed(sentAt: .seconds(1), ttl: ttl, newLease: false)
        #expect(d.fenceDeadline == nil, "a renewal of nothing does not hold a lease")
    }

    @Test func deadlineCountsFromTheSendTimeOfTheLastConfirmedRenewal() {
        var d = LeaseDeadline(fenceMargin: .milliseconds(1500))
        d.confirmed(sentAt: .seconds(10), ttl: ttl, newLease: true)
        #expect(d.fenceDeadline == .milliseconds(13_500))
        d.confirmed(sentAt: .seconds(11), ttl: ttl, newLease: false)
        #expect(d.fenceDeadline == .milliseconds(14_500))
        // A slow answer to an older request arrives late: it must not move the deadline back or forth.
        d.confirmed(sentAt: .milliseconds(10_500), ttl: ttl, newLease: false)
        #expect(d.fenceDeadline == .milliseconds(14_500))
    }

    @Test func fencesExactlyAtTheDeadlineAndOnlyOnce() {
        var d = LeaseDeadline(fenceMargin: .milliseconds(1500))
        d.confirmed(sentAt: .seconds(10), ttl: ttl, newLease: true)
        #expect(d.tick(now: .milliseconds(13_499)) == .none)
        #expect(d.tick(now: .milliseconds(13_500)) == .selfFence(deadline: .milliseconds(13_500), lastConfirmedSend: .seconds(10)))
        #expect(d.tick(now: .seconds(20)) == .none, "a fenced node does not fence again")
        #expect(d.state == .fenced(at: .milliseconds(13_500)))
    }

    @Test func aLateRenewalAfterTheFenceDoesNotUnfence() {
        var d = LeaseDeadline(fenceMargin: .seconds(1))
        d.confirmed(sentAt: .zero, ttl: ttl, newLease: true)
        _ = d.tick(now: .seconds(4))
        d.confirmed(sentAt: .seconds(3), ttl: ttl, newLease: false)
        #expect(d.fenceDeadline == nil, "domains are stopped; only a new lease may hold again")
        d.confirmed(sentAt: .seconds(6), ttl: ttl, newLease: true)
        #expect(d.fenceDeadline == .seconds(10))
    }

    @Test func aLostLeaseFencesAtOnce() {
        var d = LeaseDeadline(fenceMargin: .seconds(1))
        d.confirmed(sentAt: .seconds(2), ttl: ttl, newLease: true)
        #expect(d.leaseLost(now: .seconds(3)) == .selfFence(deadline: .seconds(6), lastConfirmedSend: .seconds(2)))
        #expect(d.leaseLost(now: .seconds(3)) == .none)
    }

    @Test func aReleasedLeaseNeverFences() {
        var d = LeaseDeadline(fenceMargin: .seconds(1))
        d.confirmed(sentAt: .zero, ttl: ttl, newLease: true)
        d.released()
        #expect(d.tick(now: .seconds(60)) == .none)
    }

    @Test func defaultsLeaveRoomForAnEtcdLeaderElection() {
        // The default configuration tolerates the measured ~2.1 s without a writable etcd leader.
        let c = MembershipConfiguration()
        let tolerated = Duration.seconds(c.ttlSeconds) - c.fenceMargin
        #expect(tolerated >= .seconds(3))
        #expect(c.keepAliveInterval + c.retryInterval < tolerated)
    }
}
