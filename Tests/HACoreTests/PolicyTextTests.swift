import HACore
import XCTest

/// Policy settings as operators type them: times, thresholds, failback windows.
final class PolicyTextTests: XCTestCase {
    func testTimesThresholdsAndFailbackParseAndPrintBack() throws {
        XCTAssertEqual(try TimeSpan(text: "1m30s"), .seconds(90))
        XCTAssertEqual(try TimeSpan(text: "500ms"), .milliseconds(500))
        XCTAssertEqual(try TimeSpan(text: "6h"), .hours(6))
        XCTAssertEqual(try ThresholdPolicy(text: "1/15m"), ThresholdPolicy(threshold: 1, period: .minutes(15)))
        XCTAssertEqual(try ThresholdPolicy(text: "0/1h").threshold, 0, "zero: fail over (or stay failed) at the first failure")
        XCTAssertEqual(try FailbackPolicy(text: "window:22-4"), .window(startHour: 22, endHour: 4))
        for text in ["never", "immediately", "window:1-5"] { XCTAssertEqual(try FailbackPolicy(text: text).text, text) }
        XCTAssertEqual(ThresholdPolicy(threshold: 2, period: .hours(6)).text, "2/6h")
        XCTAssertEqual(GroupPolicy().summary,
                       "priority=medium preferred=none possible=all restart=1/15m failover=2/6h failback=never anti-affinity=none paused=auto-resume")
        for policy in PausedGuestPolicy.allCases { XCTAssertEqual(try PausedGuestPolicy(text: policy.rawValue), policy) }
    }

    func testBadTextIsNamed() {
        func message(_ parse: () throws -> Any) -> String {
            do { _ = try parse(); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { try TimeSpan(text: "15") }, "time '15' lacks a unit (ms, s, m or h)")
        XCTAssertEqual(message { try TimeSpan(text: "15d") }, "bad time '15d' (use e.g. 30s, 15m, 6h)")
        XCTAssertEqual(message { try TimeSpan(text: "") }, "empty time (use e.g. 30s, 15m, 6h)")
        XCTAssertEqual(message { try PausedGuestPolicy(text: "resume") },
                       "bad paused-guest behaviour 'resume' (use auto-resume, leave-paused, power-off)")
        XCTAssertEqual(message { try TimeSpan(text: "99999999999999999h") }, "bad time '99999999999999999h' (use e.g. 30s, 15m, 6h)")
        XCTAssertEqual(message { try ThresholdPolicy(text: "3") }, "bad threshold '3' (use COUNT/PERIOD, e.g. 1/15m)")
        XCTAssertEqual(message { try ThresholdPolicy(text: "-1/15m") }, "bad threshold '-1/15m' (use COUNT/PERIOD, e.g. 1/15m)")
        XCTAssertEqual(message { try ThresholdPolicy(text: "1/0s") }, "threshold '1/0s' needs a period longer than zero")
        XCTAssertEqual(message { try FailbackPolicy(text: "window:25-3") },
                       "bad failback 'window:25-3' (use never, immediately or window:START-END with hours 0-23)")
        XCTAssertEqual(message { try FailbackPolicy(text: "sometimes") },
                       "bad failback 'sometimes' (use never, immediately or window:START-END with hours 0-23)")
    }
}
