import Foundation
import HACoordination

/// A real etcd cluster of loopback members started by a test (shared by the test targets that need one), in its own temp directory, stopped
/// by PID (SIGKILL) in `stop()` — also called from `deinit` — never touching other etcd processes.
/// Leftovers of a crashed earlier run are found by their pidfiles under `baseDirectory` and killed
/// only if `/proc/<pid>/cmdline` names that run's data directory.
public final class EtcdCluster: @unchecked Sendable {
    public static let baseDirectory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vigil-coord-tests")

    struct Member {
        let name: String
        let clientPort: Int
        let peerPort: Int
        let dataDir: URL
        var process: Process?
        var scheme = "http"
        var clientURL: String { "\(scheme)://127.0.0.1:\(clientPort)" }
    }

    public let directory: URL
    private(set) var members: [Member]
    private let lock = NSLock()
    private let extraArguments: [String]
    /// How the members run raft.
    public let raft: RaftSettings

    /// Starts `size` members and waits until the cluster accepts a write (`probe`: with which TLS).
    /// Client URLs are https when `extraArguments` turn on `--client-cert-auth`.
    public init(size: Int = 3, raft: RaftSettings = .etcdDefaults, extraArguments: [String] = [],
                probeTLS: EtcdTLS? = nil) async throws {
        self.raft = raft
        Self.killLeftovers()
        directory = Self.baseDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.extraArguments = extraArguments
        let ports = try FreePorts.take(2 * size)
        let dir = directory
        members = (0..<size).map { i in
            Member(name: "m\(i)", clientPort: ports[2 * i], peerPort: ports[2 * i + 1],
                   dataDir: dir.appendingPathComponent("m\(i)"), process: nil,
                   scheme: extraArguments.contains("--client-cert-auth") ? "https" : "http")
        }
        try String(getpid()).write(to: directory.appendingPathComponent("owner"), atomically: true, encoding: .utf8)
        for i in members.indices { try start(i) }
        try await waitUntilWritable(tls: probeTLS)
    }

    deinit { stop() }

    public var endpoints: [String] { members.map(\.clientURL) }

    /// A store on this cluster (all members as endpoints) with a unique prefix.
    public func store(prefix: String = "/vigil-test/\(UUID().uuidString)/", endpoints: [String]? = nil,
               requestTimeout: Duration = .seconds(5), attemptTimeout: Duration = .seconds(1),
               renewalHedgeDelay: Duration = .milliseconds(250), tls: EtcdTLS? = nil) throws -> EtcdStore {
        try EtcdStore(EtcdConfiguration(endpoints: endpoints ?? self.endpoints, prefix: prefix, tls: tls,
                                        requestTimeout: requestTimeout, attemptTimeout: attemptTimeout,
                                        watchIdleTimeout: .seconds(20), renewalHedgeDelay: renewalHedgeDelay))
    }

    /// Starts (or restarts, keeping its data) member `i`.
    public func start(_ i: Int) throws {
        let m = members[i]
        let cluster = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        p.arguments = [
            "--name", m.name, "--data-dir", m.dataDir.path,
            "--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
            "--listen-peer-urls", "http://127.0.0.1:\(m.peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(m.peerPort)",
            "--initial-cluster", cluster, "--initial-cluster-state", "new",
            "--initial-cluster-token", directory.lastPathComponent,
            "--unsafe-no-fsync", "--log-level", "error",
        ] + raft.arguments + extraArguments
        let log = directory.appendingPathComponent("\(m.name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        try String(p.processIdentifier).write(to: directory.appendingPathComponent("\(m.name).pid"),
                                              atomically: true, encoding: .utf8)
        lock.withLock { members[i].process = p }
    }

    /// SIGKILLs member `i` (a crash) and reaps it.
    public func kill(_ i: Int) {
        let p = lock.withLock { () -> Process? in
            let p = members[i].process
            members[i].process = nil
            return p
        }
        guard let p, p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// Freezes member `i` (SIGSTOP): its sockets stay open but nothing answers, like a hung host.
    public func pause(_ i: Int) { signal(i, SIGSTOP) }
    /// Thaws member `i` (SIGCONT).
    public func resume(_ i: Int) { signal(i, SIGCONT) }

    private func signal(_ i: Int, _ sig: Int32) {
        if let p = lock.withLock({ members[i].process }), p.isRunning { Foundation.kill(p.processIdentifier, sig) }
    }

    /// Kills every member and removes the data directory.
    public func stop() {
        for i in members.indices { kill(i) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Waits until a put through any member succeeds (at most 20 s).
    public func waitUntilWritable(timeout: Duration = .seconds(20), tls: EtcdTLS? = nil) async throws {
        let store = try self.store(requestTimeout: .seconds(2), tls: tls)
        let clock = ContinuousClock()
        let end = clock.now + timeout
        var lastError: Error?
        while clock.now < end {
            do {
                _ = try await store.put("probe", [1])
                try await store.close()
                return
            } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await store.close()
        throw StoreError.unavailable("test etcd cluster in \(directory.path) never became writable: \(String(describing: lastError))")
    }

    /// Kills etcd processes of earlier runs that died without cleaning up (identified by pidfile and data dir).
    public static func killLeftovers() {
        let fm = FileManager.default
        guard let runs = try? fm.contentsOfDirectory(at: baseDirectory, includingPropertiesForKeys: nil) else { return }
        for run in runs {
            let files = (try? fm.contentsOfDirectory(atPath: run.path)) ?? []
            var alive = false
            for f in files where f.hasSuffix(".pid") {
                guard let text = try? String(contentsOf: run.appendingPathComponent(f), encoding: .utf8),
                      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                      let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
                else { continue }
                if cmdline.contains(run.path) && cmdline.contains("etcd") {
                    // Ours, from a run whose test process is gone? Only if that run's owner is dead.
                    if Self.ownerIsDead(run) { Foundation.kill(pid, SIGKILL) } else { alive = true }
                }
            }
            if !alive && ownerIsDead(run) { try? fm.removeItem(at: run) }
        }
    }

    /// A run directory records the PID of the test process that created it. A directory without
    /// that record is being created right now by a parallel test — unless it is old.
    private static func ownerIsDead(_ run: URL) -> Bool {
        guard let text = try? String(contentsOf: run.appendingPathComponent("owner"), encoding: .utf8),
              let pid = Int32(text) else {
            let created = (try? FileManager.default.attributesOfItem(atPath: run.path)[.modificationDate]) as? Date
            return (created ?? .distantPast) < Date(timeIntervalSinceNow: -600)
        }
        return Foundation.kill(pid, 0) != 0
    }
}

/// How etcd members run raft: a leader's heartbeat period, how long a follower waits without one
/// before it campaigns (randomized up to twice that), and pre-vote.
public struct RaftSettings: Sendable, Equatable {
    public var heartbeatInterval: Duration
    public var electionTimeout: Duration
    public var preVote: Bool

    /// etcd's own defaults (given explicitly).
    public static let etcdDefaults = RaftSettings(heartbeatInterval: .milliseconds(100), electionTimeout: .milliseconds(1000),
                                                  preVote: false)
    /// What `deploy/vigild.yaml` recommends.
    public static let recommended = RaftSettings(heartbeatInterval: .milliseconds(50), electionTimeout: .milliseconds(500),
                                                 preVote: true)

    var arguments: [String] {
        ["--heartbeat-interval", String(Int(heartbeatInterval / .milliseconds(1))),
         "--election-timeout", String(Int(electionTimeout / .milliseconds(1)))] + (preVote ? ["--pre-vote"] : [])
    }
}

/// Free loopback TCP ports, found by binding port 0.
public enum FreePorts {
    public static func take(_ n: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<n {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
                }
            }
            guard ok else { throw StoreError.rejected("cannot find a free loopback port") }
            sockets.append(fd)
            ports.append(Int(UInt16(bigEndian: addr.sin_port)))
        }
        return ports
    }
}
