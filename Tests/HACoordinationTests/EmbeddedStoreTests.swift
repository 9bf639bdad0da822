import Blocking
import Foundation
@testable import HACoordination
import Testing

/// What only the embedded store needs beyond the conformance suite: durability across restarts
/// and `kill -9`, and expiry by its real clock.
@Suite struct EmbeddedStoreTests {
    @Test func stateAndRevisionsSurviveReopening() async throws {
        let dir = try TempDir()
        let clock = ManualClock()
        var store: EmbeddedStore? = try EmbeddedStore(path: dir.file("s.sqlite"), clock: clock.storeClock, sweepInterval: nil)
        let lease = try await store!.grantLease(ttlSeconds: 10)
        try await store!.put("a", [1])
        let r = try await store!.put("b", [2], lease: lease.id)
        await store!.close()
        store = nil

        let reopened = try EmbeddedStore(path: dir.file("s.sqlite"), clock: clock.storeClock, sweepInterval: nil)
        #expect(try await reopened.get("a")?.value == [1])
        #expect(try await reopened.get("b")?.lease == lease.id, "leases survive a restart of the agent")
        #expect(try await reopened.put("c", [3]) == r + 1, "revisions continue where they stopped")
        let events = WatchRecorder(reopened.watch(prefix: "", fromRevision: r))
        #expect(try await events.waitFor(count: 2).map(\.revision) == [r, r + 1], "history survives too")
        events.cancel()
        clock.advance(by: 11)
        #expect(try await reopened.get("b") == nil, "a lease past its deadline is gone even without a sweep")
        let next = try await reopened.grantLease(ttlSeconds: 5)
        #expect(next.id != lease.id, "lease IDs are never reused")
        await reopened.close()
    }

    /// Every commit is synced to disk (`synchronous = FULL`): in WAL mode NORMAL survives a crash of
    /// the process but may lose the last commits on a power loss, and GRDB sets NORMAL when it turns
    /// WAL mode on (a setting made before that, in `prepareDatabase`, is overwritten).
    @Test func everyCommitIsSyncedToDisk() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("s.sqlite"), sweepInterval: nil)
        #expect(try await store.writerSynchronous() == 2, "the writing connection must run with synchronous = FULL (2)")
        await store.close()
    }

    /// Another process holds the database's write lock (as a second agent on the file or a backup
    /// tool would), briefly or longer than any other call waits for it: a lease renewal waits for it
    /// as long as its lease lives, instead of failing with "database is locked".
    @Test(arguments: [0.8, EmbeddedStore.lockWaitSeconds + 1])
    func aRenewalWaitsForAnotherProcessesLock(holdingSeconds: Double) async throws {
        let dir = try TempDir()
        let path = dir.file("s.sqlite")
        let store = try EmbeddedStore(path: path, sweepInterval: nil)
        let lease = try await store.grantLease(ttlSeconds: 10)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            time.sleep(float(sys.argv[2]))
            c.execute("COMMIT")
            """, path, String(holdingSeconds)]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer { if holder.isRunning { holder.terminate() } }
        let line = out.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).hasPrefix("locked"), "the other process took the write lock")
        let start = ContinuousClock.now
        #expect(try await store.keepAlive(lease.id) == 10, "the renewal waited for the lock and succeeded")
        let waited = ContinuousClock.now - start
        print("[embedded] write lock held \(holdingSeconds) s by another process: the renewal waited \(seconds(waited))")
        try await store.put("after", [1])
        holder.waitUntilExit()
        #expect(holder.terminationStatus == 0)
        await store.close()
    }

    /// Another process writes to the file as fast as it can and checkpoints its WAL (TRUNCATE) every
    /// few writes, while this store renews a lease and writes: no renewal fails. Each write is an
    /// IMMEDIATE transaction (a deferred one that reads, then writes, fails at once with
    /// SQLITE_BUSY_SNAPSHOT when the other process committed in between, whatever the busy timeout).
    @Test func renewalsNeverFailWhileAnotherProcessWritesAndCheckpoints() async throws {
        let dir = try TempDir()
        let path = dir.file("s.sqlite")
        let store = try EmbeddedStore(path: path, sweepInterval: .milliseconds(50))
        let lease = try await store.grantLease(ttlSeconds: 10)
        let hammer = Process()
        hammer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        hammer.arguments = ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            end, n = time.time() + float(sys.argv[2]), 0
            while time.time() < end:
                c.execute("BEGIN IMMEDIATE")
                c.execute("UPDATE meta SET value = value WHERE name = 'nextLease'")
                c.execute("COMMIT")
                n += 1
                if n % 50 == 0: c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            print(n, flush=True)
            """, path, "3"]
        let out = Pipe()
        hammer.standardOutput = out
        try hammer.run()
        defer { if hammer.isRunning { hammer.terminate() } }
        var renewals = 0
        var failures: [String] = []
        while hammer.isRunning {
            do {
                _ = try await store.keepAlive(lease.id)
                try await store.put("n/a", [1], lease: lease.id)
                renewals += 1
            } catch {
                failures.append("\(error)")
            }
        }
        let theirs = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        print("[embedded] another process wrote \(theirs.trimmingCharacters(in: .whitespacesAndNewlines)) times in 3 s: "
              + "\(renewals) renewals succeeded, \(failures.count) failed")
        #expect(failures.isEmpty, "no renewal may fail on lock contention: \(failures.prefix(3))")
        #expect(renewals > 0)
        #expect(hammer.terminationStatus == 0, "the other process must have run its writes")
        await store.close()
    }

    @Test func zeroConfigurationCreatesItsDirectory() async throws {
        let dir = try TempDir()
        let nested = dir.file("var/lib/vigil/state.sqlite")
        let store = try EmbeddedStore.open(path: nested)
        try await store.put("k", [1])
        await store.close()
        #expect(FileManager.default.fileExists(atPath: nested))
        let again = try EmbeddedStore.open(path: nested)
        #expect(try await again.get("k")?.value == [1])
        await again.close()
    }

    @Test func historyIsCompactedAutomatically() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("h.sqlite"), sweepInterval: nil, historyRetention: 20)
        var last: Revision = 0
        for i in 0..<100 { last = try await store.put("h/\(i % 3)", [UInt8(i)]) }
        let recent = WatchRecorder(store.watch(prefix: "h/", fromRevision: last - 9))
        #expect(try await recent.waitFor(count: 10).map(\.revision) == Array((last - 9)...last), "recent history is kept")
        recent.cancel()
        let old = WatchRecorder(store.watch(prefix: "h/", fromRevision: 2))
        let first = try await old.waitFor(count: 1).first
        old.cancel()
        guard case .resync(let kvs, let rev)? = first else { Issue.record("expected a resync, got \(String(describing: first))"); return }
        #expect(kvs.count == 3 && rev == last)
        try await store.compact(revision: last - 5)  // by hand, past the automatic point
        for i in 0..<10 { try await store.put("h/x", [UInt8(i)]) }  // automatic compaction must not fail writes
        await store.close()
    }

    @Test func theSweeperExpiresLeasesByTheRealClock() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("s.sqlite"), sweepInterval: .milliseconds(50))
        // 3 s: the put must land before the lease can expire even while other suites load the machine
        // (with 1 s, a run under the whole test suite saw "lease not found" at the put).
        let lease = try await store.grantLease(ttlSeconds: 3)
        try await store.put("n", [1], lease: lease.id)
        let watch = WatchRecorder(store.watch(prefix: "n", fromRevision: 1))
        let start = ContinuousClock.now
        let events = try await watch.waitFor(count: 2, timeout: .seconds(15))
        watch.cancel()
        #expect(events.count == 2)
        if case .delete(let key, _)? = events.last { #expect(key == "n") } else { Issue.record("no expiry event: \(events)") }
        print("[embedded] lease TTL 3 s: expiry seen by a watcher after \(seconds(ContinuousClock.now - start))")
        await store.close()
    }

    /// Runs the crash helper until it acknowledges write `target`, SIGKILLs it, and returns its
    /// whole output and whether a signal ended it.
    private static func runAndKill(_ helper: String, _ arguments: [String], afterAck target: Int) throws -> (String, Bool) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: helper)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        var text = ""
        while !text.contains("ack \(target)\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (text, p.terminationReason == .uncaughtSignal)
    }

    @Test func killNineLosesNoAcknowledgedWriteAndLeavesNothingHalfWritten() async throws {
        let helper = try Self.helperPath()
        let dir = try TempDir()
        let path = dir.file("crash.sqlite")
        var acked: [Int] = []
        for round in 0..<3 {
            let first = (acked.last ?? -1) + 1
            // Let it write for a while (more each round), then kill it mid-write; reading its pipe
            // and waiting for it block, so on a thread of its own.
            let (text, killed) = try await BlockingCall.run("crash-helper") {
                try Self.runAndKill(helper, [path, String(first)], afterAck: first + 50 * (round + 1))
            }
            #expect(killed, "the helper must have been killed, not have exited")
            let acks = text.split(separator: "\n").compactMap { Int($0.dropFirst(4)) }
            #expect(acks.first == first && acks == Array(first..<(first + acks.count)))
            acked += acks

            let store = try EmbeddedStore(path: path, sweepInterval: nil)
            #expect(try await store.integrityCheck().isEmpty)
            let crash = Dictionary(uniqueKeysWithValues: try await store.list(prefix: "crash/").kvs.map { ($0.key, $0.value) })
            for i in acked {
                #expect(crash["crash/\(i)"] == Array(repeating: UInt8(i % 251), count: 512 + i % 512),
                        "acknowledged write \(i) lost or damaged after kill -9 (round \(round))")
            }
            // Beyond the acknowledged ones, at most the single write in flight may have landed, and whole.
            #expect(crash.count <= acked.count + 1)
            let pairs = try await store.list(prefix: "pair/").kvs
            var byIndex: [String: Int] = [:]
            for kv in pairs { byIndex[String(kv.key.split(separator: "/")[1]), default: 0] += 1 }
            #expect(byIndex.values.allSatisfy { $0 == 2 }, "a transaction was half-applied: \(byIndex.filter { $0.value != 2 })")
            #expect(byIndex.count >= acked.count)
            await store.close()
            print("[embedded] kill -9 round \(round): \(acks.count) writes acknowledged, all present after reopen")
        }
    }

    /// A helper executable: it sits next to the test bundle in the build directory.
    static func helperPath(_ name: String = "vigil-store-crash-helper") throws -> String {
        var candidates: [URL] = []
        if let b = Bundle.main.executableURL { candidates.append(b.deletingLastPathComponent()) }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(arg0.deletingLastPathComponent())
        candidates.append(arg0.deletingLastPathComponent().deletingLastPathComponent())
        for c in candidates {
            let p = c.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw StoreError.rejected("\(name) not found next to the test binary (looked in \(candidates.map(\.path)));"
                                  + " build it with `swift build --build-tests`")
    }
}
