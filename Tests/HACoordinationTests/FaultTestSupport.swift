import Blocking
import ClusterSchema
import EtcdTestSupport
import Foundation
import HACoordination
import HACore

/// A `SelfFence` that records when it was asked to stop the HA domains (and takes a little time
/// doing it, like stopping real domains would).
final class RecordingFence: SelfFence, @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [(reason: String, at: ContinuousClock.Instant)] = []
    let stopTime: Duration
    /// The HA guests it pretends to run.
    let haGuestCount: Int

    init(stopTime: Duration = .milliseconds(100), guests: Int = 0) {
        self.stopTime = stopTime
        self.haGuestCount = guests
    }

    var calls: [(reason: String, at: ContinuousClock.Instant)] { lock.withLock { _calls } }

    func stopHADomains(reason: String) async {
        lock.withLock { _calls.append((reason, ContinuousClock.now)) }
        try? await Task.sleep(for: stopTime)
    }
}

/// The raft leader as one member's maintenance status reports it.
struct EtcdLeader: Equatable {
    /// Index of the leading member in the cluster's endpoints.
    let index: Int
    let raftTerm: Int
}

extension EtcdCluster {
    /// The index of the member that is the raft leader now, if one is.
    func leaderIndex() async -> Int? { await leader()?.index }

    /// The raft leader now among `members` (all by default), from etcd's maintenance status API
    /// (`etcdctl endpoint status`, waited for on a thread of its own), if one of them leads.
    func leader(among members: [Int]? = nil) async -> EtcdLeader? {
        let endpoints = endpoints
        let asked = (members ?? Array(endpoints.indices)).map { endpoints[$0] }
        return await BlockingCall.run("etcdctl") { Self.leader(asking: asked, endpoints: endpoints) }
    }

    private static func leader(asking asked: [String], endpoints: [String]) -> EtcdLeader? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        p.arguments = ["--endpoints", asked.joined(separator: ","), "--command-timeout=2s",
                       "endpoint", "status", "-w", "table"]
        p.environment = ["ETCDCTL_API": "3"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        // | ENDPOINT | ID | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | ...
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let cols = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cols.count > 6, cols[4] == "true", let i = endpoints.firstIndex(of: cols[0]), let term = Int(cols[6]) {
                return EtcdLeader(index: i, raftTerm: term)
            }
        }
        return nil
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

func seconds(_ d: Duration) -> String {
    String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

func node(_ name: String) -> NodeRecord {
    NodeRecord(id: NodeID(name), capacity: NodeCapacity(memoryMiB: 8192, vcpus: 8), version: "test")
}

/// Teardown steps that run whether the test body succeeds or throws (stores closed, memberships
/// stopped, watches cancelled), in reverse order of registration.
actor Cleanup {
    private var steps: [@Sendable () async -> Void] = []
    func add(_ step: @escaping @Sendable () async -> Void) { steps.append(step) }
    func run() async {
        for step in steps.reversed() { await step() }
        steps = []
    }

    func store(_ s: EtcdStore) -> EtcdStore { add { try? await s.close() }; return s }
    func membership(_ m: Membership) -> Membership { add { await m.stop() }; return m }
    func watch(_ w: WatchRecorder) -> WatchRecorder { add { w.cancel() }; return w }
}

/// Runs `body` with a fresh `Cleanup`, then runs the cleanup even if `body` threw.
func withCleanup(_ body: (Cleanup) async throws -> Void) async throws {
    let cleanup = Cleanup()
    do { try await body(cleanup) } catch {
        await cleanup.run()
        throw error
    }
    await cleanup.run()
}
