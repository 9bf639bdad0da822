import XCTest
@testable import Libvirt

/// The handle's lifetime as a pure state machine: freed exactly once, after the close and the last call.
final class HandleLifetimeTests: XCTestCase {
    func testCloseWithNoCallInFlightFreesAtOnce() {
        var lifetime = HandleLifetime("h")
        XCTAssertEqual(lifetime.startClose(), "h", "the closer gets the handle for its clean-up")
        XCTAssertEqual(lifetime.endCall(), "h", "and frees it: no call was in flight")
        XCTAssertNil(lifetime.startCall())
        XCTAssertNil(lifetime.startClose(), "a second close does nothing")
    }

    func testTheLastCallInFlightFreesAfterAClose() {
        var lifetime = HandleLifetime("h")
        XCTAssertEqual(lifetime.startCall(), "h")
        XCTAssertEqual(lifetime.startCall(), "h")
        XCTAssertEqual(lifetime.startClose(), "h")
        XCTAssertFalse(lifetime.isOpen)
        XCTAssertNil(lifetime.startCall(), "no call starts once closing")
        XCTAssertNil(lifetime.endCall(), "the closer's clean-up ends: two calls still use the handle")
        XCTAssertNil(lifetime.endCall())
        XCTAssertEqual(lifetime.endCall(), "h", "the last call frees it")
        XCTAssertNil(lifetime.startCall())
    }

    func testCallsWhileOpenNeverFree() {
        var lifetime = HandleLifetime("h")
        for _ in 0..<3 {
            XCTAssertEqual(lifetime.startCall(), "h")
            XCTAssertNil(lifetime.endCall())
        }
        XCTAssertTrue(lifetime.isOpen)
    }
}
