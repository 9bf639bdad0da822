import XCTest
@testable import HAAgent

/// The `watchdog:` section of vigild's configuration.
extension AgentConfigurationTests {
    private func watchdogProblem(_ watchdog: String) -> String {
        do { _ = try load("shared_storage: /s\nwatchdog: \(watchdog)\n"); return "no error" } catch { return "\(error)" }
    }

    func testWatchdogDefaults() throws {
        let w = try load("shared_storage: /srv/vigil\n").watchdog
        XCTAssertTrue(w.enabled)
        XCTAssertEqual(w.device, "/dev/watchdog")
        XCTAssertEqual(w.timeoutSeconds, 10)
        XCTAssertEqual(w.petIntervalSeconds, 1)
    }

    func testEveryWatchdogSettingIsRead() throws {
        let w = try load("shared_storage: /s\nwatchdog: {enabled: false, device: /run/watchdog, timeout_seconds: 30, pet_interval_seconds: 2.5}\n").watchdog
        XCTAssertEqual(w, { var e = WatchdogSettings(); e.enabled = false; e.device = "/run/watchdog"; e.timeoutSeconds = 30; e.petIntervalSeconds = 2.5; return e }())
    }

    func testBadWatchdogValuesAreNamed() {
        XCTAssertTrue(watchdogProblem("{device: watchdog}").contains("setting watchdog.device: must be an absolute path"), watchdogProblem("{device: watchdog}"))
        XCTAssertTrue(watchdogProblem("{timeout_seconds: 1}").contains("setting watchdog.timeout_seconds: must be 2 to 65535"))
        XCTAssertTrue(watchdogProblem("{timeout_seconds: 70000}").contains("watchdog.timeout_seconds"))
        XCTAssertTrue(watchdogProblem("{timeout_seconds: 10, pet_interval_seconds: 5}").contains("setting watchdog.pet_interval_seconds: must be positive and less than half"))
        XCTAssertTrue(watchdogProblem("{pet_interval_seconds: 0}").contains("watchdog.pet_interval_seconds"))
        XCTAssertTrue(watchdogProblem("{timeout_seconds: soon}").contains("timeout_seconds"), watchdogProblem("{timeout_seconds: soon}"))
        XCTAssertEqual(watchdogProblem("{timeout_seconds: 10, pet_interval_seconds: 4.9}"), "no error")
    }

    func testAWatchdogChangeNeedsARestart() throws {
        let running = try load("shared_storage: /s\n")
        var fresh = running
        fresh.watchdog.timeoutSeconds = 20
        XCTAssertEqual(fresh.restartOnlyChanges(from: running), ["watchdog"])
    }
}
