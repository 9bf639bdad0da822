import Foundation
import LabSupport
import XCTest
@testable import HAAgent

/// The `vigild` executable as a daemon: it starts from its configuration file, reloads on SIGHUP,
/// and stops on SIGTERM (graceful shutdown must end every task, not only log that it should).
final class DaemonTests: XCTestCase {
    private var vigild: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vigild").path
    }

    func testStartsReloadsOnHangupAndStopsOnTerm() async throws {
        guard FileManager.default.isExecutableFile(atPath: vigild) else { return XCTFail("no vigild binary at \(vigild): run swift build first") }
        let h = try AgentHarness()  // only for its directory and settings; the daemon is a separate process
        let config = try h.writeDaemonConfiguration(node: "solo", logLevel: "info")
        let log = h.directory + "/vigild.log"
        let pid = try Spawn.start([vigild, "--config", config], stdout: log, stderr: log)
        defer { kill(pid, SIGKILL); _ = Spawn.reap(pid) }
        try await h.waitUntil("the daemon's API to answer") { try await h.status().leader == "solo" }
        // Every thread runs at the configured priority (membership.nice, default -10): load on the host
        // must not starve the lease renewals.
        // (Threads libdispatch starts later begin at the default: vigild re-applies it every 5 s.)
        var nices: [String: Int] = [:]
        try await h.waitUntil("every thread of vigild at nice \(MembershipSettings().nice)", timeout: 15) {
            nices = try threadNiceValues(pid)
            return !nices.isEmpty && Set(nices.values) == [MembershipSettings().nice]
        }

        try h.writeDaemonConfiguration(node: "renamed", logLevel: "debug")
        kill(pid, SIGHUP)
        try await h.waitUntil("the reload logged") { (try String(contentsOfFile: log, encoding: .utf8)).contains("configuration reloaded") }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.contains("restart.needed=[\"node\"]"), "the changed node name needs a restart: \(text)")

        kill(pid, SIGTERM)
        try await h.waitUntil("the daemon to exit on SIGTERM", timeout: 10) { Spawn.reap(pid) != nil }
        XCTAssertTrue((try String(contentsOfFile: log, encoding: .utf8)).contains("vigild stopping"))
    }

    /// The nice value of each thread of `pid` (field 19 of /proc/PID/task/TID/stat).
    private func threadNiceValues(_ pid: pid_t) throws -> [String: Int] {
        var nices: [String: Int] = [:]
        for tid in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 16, let nice = Int(fields[16]) { nices[tid] = nice }
        }
        return nices
    }
}
