import HACore
import Testing

/// The self-fence margin: slack plus the kill time of the guests run now, from measured kills.
@Suite struct SelfFenceMarginTests {
    private let ms = TimeSpan.milliseconds

    @Test func beforeAnyKillThePriorPerGuestCounts() {
        let m = SelfFenceMargin(slack: ms(1500), ceiling: ms(3000), prior: ms(100))
        #expect(m.margin(guests: 0) == ms(1500))
        #expect(m.margin(guests: 5) == ms(2000))
        #expect(m.fits(guests: 15) && !m.fits(guests: 16))
        #expect(m.margin(guests: 40) == ms(3000), "never more than the lease allows")
    }

    @Test func measuredKillsScaleUpLinearlyAndNeverDown() {
        var m = SelfFenceMargin(slack: ms(1500), ceiling: ms(3000))
        m.measured(guests: 5, took: ms(200))
        #expect(m.killTime(guests: 1) == ms(200), "fewer guests: at most as long as the kill measured")
        #expect(m.killTime(guests: 5) == ms(200))
        #expect(m.killTime(guests: 12) == ms(480))
        #expect(m.killTime(guests: 7) == ms(280))
        m.measured(guests: 2, took: ms(300))  // a slower kill: the largest bound wins
        #expect(m.killTime(guests: 5) == ms(750))
        #expect(m.margin(guests: 5) == ms(2250))
    }

    @Test func onlyTheLastKillsAreKept() {
        var m = SelfFenceMargin(slack: .zero, ceiling: ms(10_000))
        m.measured(guests: 1, took: ms(900))
        for _ in 0..<SelfFenceMargin.kept { m.measured(guests: 1, took: ms(50)) }
        #expect(m.kills.count == SelfFenceMargin.kept)
        #expect(m.killTime(guests: 1) == ms(50), "an old slow kill ages out")
        m.measured(guests: 0, took: ms(5000))
        #expect(m.killTime(guests: 1) == ms(50), "a kill of nothing measures nothing")
    }
}
