import HACore
import XCTest
@testable import HAAgent

/// Wrong secrets per client address, with injected time: free tries, then waits that double,
/// capped; other addresses unaffected; a right secret or a quiet spell forgives.
final class SignInThrottleTests: XCTestCase {
    let t0 = Timestamp(milliseconds: 1_000_000)

    func testAfterTheFreeFailuresAnAddressWaitsLongerEachTime() {
        var throttle = SignInThrottle()
        for _ in 0..<(SignInThrottle.freeFailures - 1) { throttle.failed("10.0.0.1", now: t0) }
        XCTAssertNil(throttle.wait(for: "10.0.0.1", now: t0), "the free failures cost nothing")
        throttle.failed("10.0.0.1", now: t0)
        XCTAssertEqual(throttle.wait(for: "10.0.0.1", now: t0), SignInThrottle.firstWait)
        XCTAssertEqual(throttle.wait(for: "10.0.0.1", now: t0 + .seconds(10)), .seconds(20), "the wait runs down")
        XCTAssertNil(throttle.wait(for: "10.0.0.1", now: t0 + SignInThrottle.firstWait), "and ends")
        XCTAssertNil(throttle.wait(for: "10.0.0.2", now: t0), "another address is not held up")
        let t1 = t0 + SignInThrottle.firstWait
        throttle.failed("10.0.0.1", now: t1)
        XCTAssertEqual(throttle.wait(for: "10.0.0.1", now: t1), SignInThrottle.firstWait * 2, "doubled after the next wrong one")
        for _ in 0..<30 { throttle.failed("10.0.0.1", now: t1) }
        XCTAssertEqual(throttle.wait(for: "10.0.0.1", now: t1), SignInThrottle.longestWait, "capped")
    }

    func testTheRightSecretOrAQuietSpellForgives() {
        var throttle = SignInThrottle()
        for _ in 0..<SignInThrottle.freeFailures { throttle.failed("a", now: t0) }
        throttle.succeeded("a")
        XCTAssertNil(throttle.wait(for: "a", now: t0))
        for _ in 0..<(SignInThrottle.freeFailures - 1) { throttle.failed("b", now: t0) }
        let later = t0 + SignInThrottle.longestWait
        throttle.failed("c", now: later)
        throttle.failed("b", now: later)
        XCTAssertNil(throttle.wait(for: "b", now: later), "failures long ago are forgotten")
    }

    func testAtMostCapacityAddressesAreRemembered() {
        var throttle = SignInThrottle()
        for i in 0...SignInThrottle.capacity { throttle.failed("client-\(i)", now: t0 + .milliseconds(Int64(i))) }
        XCTAssertEqual(throttle.records.count, SignInThrottle.capacity)
        XCTAssertNil(throttle.records["client-0"], "the one that failed longest ago made room")
    }
}
