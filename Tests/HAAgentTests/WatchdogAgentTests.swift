import ClusterSchema
import Foundation
import Logging
import XCTest
@testable import HAAgent

/// A whole in-process `VigilAgent` (embedded store, test driver) with a FIFO as its watchdog device.
final class WatchdogAgentTests: XCTestCase {
    private func agent(_ h: AgentHarness, device: String) -> Task<Void, Error> {
        var configuration = h.configuration
        configuration.watchdog.enabled = true
        configuration.watchdog.device = device
        configuration.watchdog.timeoutSeconds = 5
        configuration.watchdog.petIntervalSeconds = 0.1
        var logger = Logger(label: "vigild-watchdog-test")
        logger.logLevel = .notice
        let agent = VigilAgent(configuration: configuration, logger: logger)
        return Task { try await agent.run() }
    }

    func testTheAgentPetsItsWatchdogWhileItRunsAndDisarmsItOnAGracefulStop() async throws {
        let h = try AgentHarness()
        let fifo = h.directory + "/watchdog"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        defer { close(reader) }
        var bytes: [UInt8] = []
        var closed = false
        func drain() {
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = read(reader, &buffer, buffer.count)
                if n > 0 { bytes += buffer[0..<n] } else { closed = closed || n == 0; return }
            }
        }
        let task = agent(h, device: fifo)
        let started = Date()
        try await h.waitUntil("the agent to pet its watchdog five times") { drain(); return bytes.count >= 5 }
        print("[watchdog] the agent petted \(bytes.count) times within \(String(format: "%.3f", Date().timeIntervalSince(started))) s of starting")
        XCTAssertFalse(bytes.contains(UInt8(ascii: "V")), "a running agent never disarms: \(bytes)")
        task.cancel()  // what a graceful shutdown does to the agent's work
        _ = await task.result
        drain()
        XCTAssertEqual(bytes.last, UInt8(ascii: "V"), "a graceful stop disarms with the magic close")
        XCTAssertTrue(closed, "and closes the device")
    }

    func testWithoutItsDeviceTheAgentRunsWithoutAWatchdog() async throws {
        let h = try AgentHarness()
        let task = agent(h, device: h.directory + "/no-such-watchdog")
        try await h.waitForAPI()
        task.cancel()
        _ = await task.result
    }

    func testAgentRecordsPublishTheWatchdogTimeoutAndOlderOnesStillDecode() throws {
        let armed = AgentRecord(node: "h1", migrationURI: "qemu+tcp://h1/system", watchdogResetSeconds: 10)
        let bytes = try StoreCoding.encode(armed)
        XCTAssertEqual(try StoreCoding.decode(AgentRecord.self, bytes, key: "agents/h1"), armed)
        var older = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(older.removeValue(forKey: "watchdogTimeoutSeconds") as? Double, 10)
        let decoded = try StoreCoding.decode(AgentRecord.self, Array(try JSONSerialization.data(withJSONObject: older)), key: "agents/h1")
        XCTAssertNil(decoded.watchdogResetSeconds, "a record of an agent without the field: no watchdog")
        XCTAssertEqual(decoded.migrationURI, armed.migrationURI)
    }
}
