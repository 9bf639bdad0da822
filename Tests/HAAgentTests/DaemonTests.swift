import Foundation
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
        let config = h.directory + "/vigild.yaml"
        let log = h.directory + "/vigild.log"
        func write(logLevel: String, node: String) throws {
            try """
            node: \(node)
            libvirt_uri: "test:///default"
            shared_storage: \(h.configuration.sharedStorage)
            qemu_conf: \(h.configuration.qemuConfPath)
            store: {embedded_path: \(h.configuration.store.embeddedPath)}
            api: {socket: \(h.configuration.api.socket), metrics_listen: ""}
            log_level: \(logLevel)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(logLevel: "info", node: "solo")
        let pid = try Daemon.spawn([vigild, "--config", config], log: log)
        defer { kill(pid, SIGKILL); _ = Daemon.reap(pid) }
        try await h.waitUntil("the daemon's API to answer") { try await h.status().leader == "solo" }

        try write(logLevel: "debug", node: "renamed")
        kill(pid, SIGHUP)
        try await h.waitUntil("the reload logged") { (try String(contentsOfFile: log, encoding: .utf8)).contains("configuration reloaded") }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.contains("restart.needed=[\"node\"]"), "the changed node name needs a restart: \(text)")

        kill(pid, SIGTERM)
        try await h.waitUntil("the daemon to exit on SIGTERM", timeout: 10) { Daemon.reap(pid) != nil }
        XCTAssertTrue((try String(contentsOfFile: log, encoding: .utf8)).contains("vigild stopping"))
    }
}

/// Starts a program in the background with a clean signal mask (Swift's concurrency threads block
/// signals, and a child would inherit that), and reaps it without blocking.
enum Daemon {
    static func spawn(_ command: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO) }
        return pid
    }

    /// The exit status if the process has ended (and reaps it), nil while it runs.
    static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }
}
