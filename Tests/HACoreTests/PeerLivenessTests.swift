import HACore
import HASimulator
import Testing

/// The peer failure detector, with injected time (milliseconds from an arbitrary origin).
@Suite struct PeerLivenessTests {
    let timeout = TimeSpan.seconds(1)
    func t(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: ms) }

    func watching(_ nodes: Set<NodeID>, at ms: Int64 = 0) -> PeerLiveness {
        var l = PeerLiveness(timeout: timeout)
        l.track(nodes, at: t(ms))
        return l
    }

    @Test func silenceIsSuspectedExactlyOnceAtTheTimeout() {
        var l = watching(["h2"])
        #expect(l.tick(at: t(999)).isEmpty)
        #expect(l.tick(at: t(1000)) == [.suspected("h2", lastHeard: t(0))])
        #expect(l.suspected == ["h2"])
        for ms in stride(from: Int64(1050), through: 10_000, by: 50) {
            #expect(l.tick(at: t(ms)).isEmpty, "one suspicion per silence, not one per tick (at \(ms) ms)")
        }
        #expect(l.suspected == ["h2"])
    }

    @Test func suspicionNamesTheLastBeat() {
        var l = watching(["h2"])
        #expect(l.heard("h2", at: t(400)).isEmpty)
        #expect(l.lastHeard("h2") == t(400))
        #expect(l.tick(at: t(1399)).isEmpty)
        #expect(l.tick(at: t(1400)) == [.suspected("h2", lastHeard: t(400))])
    }

    @Test func aBeatRecoversASuspectedPeerAndANewSilenceIsSuspectedAgain() {
        var l = watching(["h2"])
        #expect(l.tick(at: t(1000)).count == 1)
        #expect(l.heard("h2", at: t(2500)) == [.recovered("h2")])
        #expect(l.suspected.isEmpty)
        #expect(l.heard("h2", at: t(2600)).isEmpty, "recovered once, not on every beat")
        #expect(l.tick(at: t(3599)).isEmpty)
        #expect(l.tick(at: t(3600)) == [.suspected("h2", lastHeard: t(2600))])
    }

    @Test func aBeatBeforeTheTimeoutIsNoRecovery() {
        var l = watching(["h2"])
        #expect(l.heard("h2", at: t(500)).isEmpty)
        #expect(l.tick(at: t(1000)).isEmpty)
    }

    @Test func aPeerAddedLateIsNotSuspectedAtOnce() {
        var l = watching(["h2"])
        #expect(l.heard("h3", at: t(100)).isEmpty, "a peer not watched is ignored")
        #expect(l.lastHeard("h3") == nil)
        l.track(["h2", "h3"], at: t(5000))
        #expect(l.lastHeard("h3") == t(5000))
        #expect(l.lastHeard("h2") == t(0), "tracking again keeps what was heard")
        #expect(l.tick(at: t(5000)) == [.suspected("h2", lastHeard: t(0))], "only the old silent peer")
        #expect(l.tick(at: t(5999)).isEmpty, "the new peer has a whole timeout to be heard")
        #expect(l.tick(at: t(6000)) == [.suspected("h3", lastHeard: t(5000))])
    }

    @Test func untrackedPeersAreForgottenWithTheirSuspicion() {
        var l = watching(["h2", "h3"])
        #expect(l.tick(at: t(1000)) == [.suspected("h2", lastHeard: t(0)), .suspected("h3", lastHeard: t(0))])
        l.track(["h3"], at: t(1100))
        #expect(l.suspected == ["h3"])
        #expect(l.lastHeard("h2") == nil)
        #expect(l.tracked == ["h3"])
        #expect(l.heard("h2", at: t(1200)).isEmpty, "no recovery for a peer no longer watched")
        // Watched again: a fresh start, not the old suspicion.
        l.track(["h2", "h3"], at: t(2000))
        #expect(l.lastHeard("h2") == t(2000))
        #expect(l.tick(at: t(2999)).isEmpty)
        #expect(l.tick(at: t(3000)) == [.suspected("h2", lastHeard: t(2000))])
    }

    @Test func jitterJustUnderTheTimeoutNeverSuspects() {
        var l = watching(["h2"])
        var now: Int64 = 0
        var generator = SeededGenerator(seed: 9)
        for _ in 0..<2000 {
            // Beats late by anything up to 1 ms short of the timeout, ticks in between and right before the beat.
            let gap = 1 + Int64(generator.next() % 999)
            #expect(l.tick(at: t(now + gap / 2)).isEmpty)
            #expect(l.tick(at: t(now + gap - 1)).isEmpty)
            now += gap
            #expect(l.tick(at: t(now)).isEmpty || gap >= 1000)
            #expect(l.heard("h2", at: t(now)).isEmpty)
        }
        #expect(l.suspected.isEmpty)
        #expect(l.tick(at: t(now + 999)).isEmpty)
        #expect(l.tick(at: t(now + 1000)) == [.suspected("h2", lastHeard: t(now))])
    }

    @Test func aLateBeatDoesNotMoveTheTimeBack() {
        var l = watching(["h2"])
        #expect(l.heard("h2", at: t(800)).isEmpty)
        #expect(l.heard("h2", at: t(300)).isEmpty)
        #expect(l.lastHeard("h2") == t(800))
        #expect(l.tick(at: t(1799)).isEmpty)
    }

    @Test func peersAreJudgedIndependently() {
        var l = watching(["h2", "h3", "h4"])
        #expect(l.heard("h3", at: t(900)).isEmpty)
        #expect(l.tick(at: t(1000)) == [.suspected("h2", lastHeard: t(0)), .suspected("h4", lastHeard: t(0))])
        #expect(l.heard("h4", at: t(1500)) == [.recovered("h4")])
        #expect(l.tick(at: t(1900)) == [.suspected("h3", lastHeard: t(900))])
        #expect(l.suspected == ["h2", "h3"])
    }
}
