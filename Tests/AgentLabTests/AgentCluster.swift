import AgentAPI
import AsyncHTTPClient
import Blocking
import Foundation
import LabSupport
import Libvirt
import NIOCore
import NIOHTTP1
import XCTest

/// vigild running on every host of a lab, as an operator would run it: one agent per host inside the
/// host's namespaces, a 3-member etcd, the lab's shared storage, the guests' heartbeat as isAlive probe.
final class AgentCluster: @unchecked Sendable {
    let lab: Lab
    let repository: URL
    private(set) var agentPIDs: [String: Int32] = [:]
    /// Hosts this test faulted (powered off, cut off, agent killed, stopped or hung): their peers may
    /// rightly suspect them. Suspicion of any other host is false (see `SuspicionAudit`).
    private(set) var faulted: Set<String> = []
    let started = Date()
    /// Each host's `fencing:` section: the lab's fence agent against the lab BMC (nil: no fence devices).
    let fencing: String?
    /// The emulated watchdog's timeout on every host, started before its agent (nil: no watchdog).
    let watchdogSeconds: Int?
    /// What differs from the lab's usual agent configuration.
    let agents: LabAgentSettings

    /// `fenceLevels`: every host's fencing levels, one lab fence device each, by its fault: nil for a
    /// working device, "hang" (never answers; its 2 s timeout ends it) or "fail" (exit 1).
    /// `fenceDevices` is one working level.
    init(lab: Lab, fenceDevices: Bool = false, fenceLevels: [String?]? = nil, watchdogSeconds: Int? = nil,
         agents: LabAgentSettings = LabAgentSettings()) async throws {
        self.lab = lab
        self.watchdogSeconds = watchdogSeconds
        self.agents = agents
        if let levels = fenceLevels ?? (fenceDevices ? [nil] : nil) {
            let secret = try await lab.bmcSecret()
            let devices = levels.map { fault in
                "{agent: \(lab.fenceAgent), options: {ip: \(lab.bmcAddress.ip), ipport: \"\(lab.bmcAddress.port)\", password: \(secret)"
                    + (fault.map { ", simulate: \($0)}, timeout_seconds: 2}" } ?? "}, timeout_seconds: 5}")
            }
            fencing = "fencing:\n  nodes:\n" + lab.hosts.map { h in
                "    \(h.name):\n" + devices.map { "      - - \($0)\n" }.joined()
            }.joined()
        } else {
            fencing = nil
        }
        repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard FileManager.default.isExecutableFile(atPath: vigild) else {
            throw XCTSkip("no vigild binary at \(vigild): build first (make test builds it)")
        }
        try? FileManager.default.removeItem(atPath: agentDirectory)  // logs of an earlier lab
        try FileManager.default.createDirectory(atPath: agentDirectory, withIntermediateDirectories: true)
    }

    var vigild: String { repository.appendingPathComponent(".build/debug/vigild").path }
    var agentDirectory: String { lab.directory + "/agents" }

    /// The host's private /run directory, seen from this (root) namespace.
    func runDirectory(_ host: String) throws -> String {
        let uri = try lab.host(host).uri
        guard let socket = uri.split(separator: "=").last else { return "" }
        return URL(fileURLWithPath: String(socket)).deletingLastPathComponent().deletingLastPathComponent().path
    }

    func socket(_ host: String) throws -> String { try runDirectory(host) + "/vigil/vigild.sock" }
    func log(_ host: String) -> String { "\(agentDirectory)/\(host).log" }

    /// The cluster secret every agent shares (peer heartbeats, the TCP API).
    var secretFile: String { "\(agentDirectory)/cluster.secret" }

    /// With `agents.tcpAPI`, the `api:` lines of a TCP API on the host's address at port 7480, over
    /// TLS from certificates (for every host's address) made once for the lab.
    private func tcpAPI(on address: String) throws -> String {
        guard agents.tcpAPI else { return "" }
        let certificates = try tlsCertificates()
        return "\n  tcp_listen: \"\(address):7480\"\n  secret_file: \(secretFile)"
            + "\n  tls: {certificate: \(certificates.serverCertificate), key: \(certificates.serverKey)}"
    }

    /// The lab's TLS certificates (made at the first call).
    func tlsCertificates() throws -> TestCertificates {
        let directory = agentDirectory + "/tls"
        if FileManager.default.fileExists(atPath: directory + "/server.crt") { return TestCertificates(existing: directory) }
        try ensureSecret()
        return try TestCertificates(in: directory, addresses: lab.hosts.map(\.address))
    }

    private func ensureSecret() throws {
        if !FileManager.default.fileExists(atPath: secretFile) {
            _ = FileManager.default.createFile(atPath: secretFile, contents: Data(UUID().uuidString.utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    /// Writes the host's configuration and starts vigild inside the host; returns its PID.
    @discardableResult
    func startAgent(on host: String) async throws -> Int32 {
        let h = try lab.host(host)
        let probe = "a=$(\(repository.path)/deploy/lab/lab heartbeat \"$0\" 2>/dev/null | cut -d' ' -f4); [ -n \"$a\" ] && [ \"${a%.*}\" -lt 10 ]"
        var config = """
        node: \(host)
        cluster: lab
        libvirt_uri: qemu:///system
        migration_uri: \(h.tcpURI)
        shared_storage: \(lab.sharedStorage)
        log_level: info
        store:
          etcd_endpoints: [\(lab.etcdEndpoints.joined(separator: ", "))]
          call_timeout_seconds: 1
        membership:
          lease_ttl_seconds: \(agents.ttlSeconds)
          keepalive_interval_seconds: \(agents.keepAliveSeconds)
          self_fence_margin_seconds: 1.5
          fencing_margin_seconds: 1\(agents.nice.map { "\n  nice: \($0)" } ?? "")
        health:
          reconcile_interval_seconds: 3
          guest_agent_timeout_seconds: 2
          probe_command: ["/bin/sh", "-c", \(jsonString(probe))]
          probe_interval_seconds: 2
          probe_failures: 4
          probe_start_grace_seconds: 40
          shutdown_deadline_seconds: 5
        migration:
          allow_unsafe: true\(agents.migration.map { "\n  \($0)" }.joined())
        api:
          metrics_listen: "127.0.0.1:9477"\(try tcpAPI(on: h.address))
        capacity:
          reserved_memory_mib: 256\(agents.vcpus.map { "\n  vcpus: \($0)" } ?? "")
        watchdog:
          device: /run/watchdog
          timeout_seconds: \(watchdogSeconds ?? 10)
        \(fencing ?? "")
        """
        let secret = secretFile
        try ensureSecret()
        config += """

        peers:
          listen: "\(h.address):7947"
          address: "\(h.address):7947"
          secret_file: \(secret)
        """
        let path = "\(agentDirectory)/\(host).yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        if let watchdogSeconds, !FileManager.default.fileExists(atPath: try runDirectory(host) + "/watchdog") {
            _ = try await lab.watchdog(host, timeoutSeconds: Double(watchdogSeconds))
        }
        let out = try await lab.exec(host, ["/bin/sh", "-c", "SWIFT_BACKTRACE=unwind=precise setsid \(vigild) --config \(path) </dev/null >>\(log(host)) 2>&1 & echo $!"])
        guard let pid = Int32(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LabError.commandFailed(arguments: ["start vigild on", host], status: 0, message: out)
        }
        agentPIDs[host] = pid
        return pid
    }

    /// Whether the agent this cluster started on `host` still runs (false once it crashed or was stopped).
    func agentRuns(on host: String) -> Bool { agentPIDs[host].map { Foundation.kill($0, 0) == 0 } ?? false }

    /// kill -9 of the agent alone; its guests keep running.
    func killAgent(on host: String) {
        faulted.insert(host)
        if let pid = agentPIDs.removeValue(forKey: host) { Foundation.kill(pid, SIGKILL) }
    }

    /// A graceful stop (SIGTERM, as systemctl stop): waits until the agent has exited.
    func stopAgent(on host: String) async {
        guard let pid = agentPIDs.removeValue(forKey: host) else { return }
        faulted.insert(host)
        Foundation.kill(pid, SIGTERM)
        for _ in 0..<100 where Foundation.kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// SIGSTOP or SIGCONT of the agent: a hung agent, the host running on.
    func signalAgent(on host: String, _ signal: Int32) {
        faulted.insert(host)
        if let pid = agentPIDs[host] { Foundation.kill(pid, signal) }
    }

    /// Whether the cluster's etcd still holds the host's membership record (its lease has not
    /// expired); nil when no member answers.
    func memberRecordExists(_ host: String) async -> Bool? {
        let key = Data("/vigil/lab/nodes/\(host)".utf8).base64EncodedString()
        for endpoint in lab.etcdEndpoints {
            var request = HTTPClientRequest(url: endpoint + "/v3/kv/range")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: "{\"key\":\"\(key)\",\"count_only\":true}"))
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .milliseconds(500)),
                  let body = try? await response.body.collect(upTo: 1 << 16) else { continue }
            let text = String(buffer: body)
            guard text.contains("header") else { continue }
            return text.contains("\"count\":\"1\"")
        }
        return nil
    }

    /// The PID in a lab host's libvirtd pid file, in the host's /run (it may have died since).
    func libvirtdPID(on host: String) -> Int32? {
        let text = try? String(contentsOfFile: "\(lab.directory)/hosts/\(host)/run/libvirtd.pid", encoding: .utf8)
        return text.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Records a fault this test made on `host` by other means (its libvirtd killed): its peers may rightly suspect it.
    func faulted(_ host: String) { faulted.insert(host) }

    /// Forgets an agent that died with its host (lab kill).
    func agentDied(on host: String) { agentPIDs.removeValue(forKey: host) }

    /// Once every guest beats, starts watching them for double runs and powers `host` off (lab kill,
    /// its agent with it); returns the watch and the moment of the power loss.
    func powerOff(_ host: String, watching vms: [String]) async throws -> (watch: DuplicateWatch, loss: Date) {
        for vm in vms { _ = try await lab.waitForHeartbeat(of: vm, after: labNow() - 1, timeout: 120) }
        let watch = DuplicateWatch()
        watch.start(self, domains: vms)
        let loss = Date()
        try await kill(host)
        return (watch, loss)
    }

    /// Powers the host off (lab kill: every process in its namespaces, its agent with it).
    func kill(_ host: String) async throws {
        faulted.insert(host)
        try await lab.kill(host)
        agentDied(on: host)
    }

    /// Cuts the host off the cluster network (its agent and guests run on).
    func partition(_ host: String) async throws {
        faulted.insert(host)
        try await lab.partition(host)
    }

    /// Checks the agents' logs for suspicion or fencing of hosts this test left healthy: counts the
    /// suspicions (a loaded machine may cause some; suspicion alone harms nobody) and fails the test
    /// for a healthy host fenced, by its peers or by itself.
    func auditSuspicion() {
        let logs = Dictionary(uniqueKeysWithValues: lab.hosts.map { ($0.name, (try? String(contentsOfFile: log($0.name), encoding: .utf8)) ?? "") })
        let finding = SuspicionAudit.audit(logs: logs, faulted: faulted)
        SuspicionAudit.record(finding)
        print("[lab] false suspicion: \(finding.suspicions.count) suspicion(s) of hosts this test left healthy"
              + (finding.suspicions.isEmpty ? "" : " (\(finding.suspicions.joined(separator: ", ")))")
              + ", \(finding.fenced.count) fenced, \(finding.selfFenced.count) self-fenced")
        XCTAssertEqual(finding.fenced, [], "a host this test left healthy was fenced")
        XCTAssertEqual(finding.selfFenced, [], "a host this test left healthy fenced itself (stopped its own guests)")
    }

    func stopAgents() {
        for pid in agentPIDs.values { Foundation.kill(pid, SIGKILL) }
        agentPIDs = [:]
    }

    // MARK: The API, as `vigil` uses it

    func call(_ host: String, _ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: URL(httpURLWithSocketPath: try socket(host), uri: path)!.absoluteString)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(bytes: Array(body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    /// The host agent's `/metrics` page, read inside the host (it listens on its loopback).
    func metrics(on host: String) async throws -> String {
        try await lab.exec(host, ["python3", "-c",
            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9477/metrics', timeout=2).read().decode())"])
    }

    func status(via host: String) async throws -> ClusterStatus {
        try JSONDecoder().decode(ClusterStatus.self, from: try await call(host, .GET, AgentAPI.status).body)
    }

    /// Builds a lab guest and makes it highly available through `host`'s agent.
    func addVM(_ name: String, via host: String, possibleOwners: [String]? = nil, storage: [StorageRequest]? = nil,
               memoryMiB: Int = 128, hangAfterSeconds: Int? = nil, failover: String? = nil) async throws {
        let guest = try await lab.guest(name, memoryMiB: memoryMiB, hangAfterSeconds: hangAfterSeconds)
        let xmlPath = guest.directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: guest.directory).first { $0.hasSuffix(".xml") } ?? "")
        var request = AddVMRequest(domain: name, xmlPath: xmlPath, possibleOwners: possibleOwners, storage: storage)
        request.failover = failover
        let (status, body) = try await call(host, .POST, AgentAPI.vms, body: try JSONEncoder().encode(request))
        guard status == 201 else { throw LabError.commandFailed(arguments: ["vm add", name], status: Int32(status), message: String(decoding: body, as: UTF8.self)) }
    }

    /// Makes every guest highly available through h1 and waits until the cluster runs them all.
    func addOnline(_ vms: [String], possibleOwners: [String]? = nil, failover: String? = nil) async throws {
        for vm in vms { try await addVM(vm, via: "h1", possibleOwners: possibleOwners, failover: failover) }
        try await waitUntil("\(vms) online", timeout: 120) {
            let s = try await self.status(via: "h1")
            return vms.allSatisfy { vm in s.groups.first { $0.name == vm }?.status == "online" }
        }
    }

    /// Runs the `vigil` CLI against the host's agent, as an operator on that host would.
    func vigil(_ host: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try LabScript.execute([vigilCLI] + arguments + ["--socket", try socket(host)])
    }

    /// `vigil(_:_:)` on a thread of its own, for a command that waits (the cooperative pool stays free).
    func vigilOffThePool(_ host: String, _ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await BlockingCall.run("vigil-cli") { try self.vigil(host, arguments) }
    }

    /// The `vigil` binary this build made.
    var vigilCLI: String { repository.appendingPathComponent(".build/debug/vigil").path }

    /// Starts `vigil events --follow --output json` against the host's agent, as an operator would
    /// watch a failure; `stop` ends it and returns every decision it printed, in order.
    func followEvents(via host: String) throws -> EventFollower {
        let out = "\(agentDirectory)/events-\(host).json"
        let pid = try Spawn.start([vigilCLI, "events", "--follow", "--output", "json", "--socket", try socket(host)],
                                  stdout: out, stderr: out + ".err")
        return EventFollower(pid: pid, output: out)
    }

    // MARK: Observing the hosts directly

    /// The hosts whose mount namespace has something mounted at `path`.
    func hostsMounting(_ path: String) async -> [String] {
        var hosts: [String] = []
        for h in lab.hosts {
            let mounts = (try? await lab.exec(h.name, ["cat", "/proc/self/mounts"])) ?? ""
            if mounts.split(separator: "\n").contains(where: { $0.split(separator: " ").dropFirst().first.map(String.init) == path }) {
                hosts.append(h.name)
            }
        }
        return hosts
    }

    /// The hosts where `domain` is in a live migration (a migration job, or paused for one), as their libvirtd says.
    func migratingHosts(of domain: String) -> [String] {
        lab.hosts.compactMap { h in
            guard let c = try? Connection(uri: h.uri), let d = try? c.domainIfExists(name: domain) else { return nil }
            return (try? d.migrationJob()) != nil || (try? d.state().pausedByMigration) == true ? h.name : nil
        }
    }

    /// The hosts on which `domain` is running now, asked of each host's libvirtd (a dead host runs nothing).
    func runningHosts(of domain: String) -> [String] {
        lab.hosts.compactMap { h in
            guard let c = try? Connection(uri: h.uri), let d = try? c.domainIfExists(name: domain),
                  (try? d.state().state) == .running else { return nil }
            return h.name
        }
    }

    /// Polls until `condition` holds; fails the test with `what` and the agents' last log lines otherwise.
    func waitUntil(_ what: String, timeout: Double, every interval: Double = 0.2, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
        let logs = lab.hosts.map { "--- \($0.name)\n" + tail(log($0.name), lines: 15) }.joined(separator: "\n")
        XCTFail("timed out after \(timeout) s waiting for: \(what)\n\(logs)")
        throw CancellationError()
    }

    /// Every domain XML on shared storage, by path: what the cluster stores must survive every fault.
    func storedXML() -> [String: String] {
        let root = lab.sharedStorage
        let paths = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".xml") } ?? []
        return Dictionary(uniqueKeysWithValues: paths.map { ($0, (try? String(contentsOfFile: root + "/" + $0, encoding: .utf8)) ?? "") })
    }

    func tail(_ path: String, lines: Int) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    func seconds(since: Date) -> String { String(format: "%.2f s", Date().timeIntervalSince(since)) }

    private func jsonString(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}

/// What a benchmark changes in the lab agents' configuration: a shorter lease, room for every guest on one host.
struct LabAgentSettings: Sendable {
    var ttlSeconds = 5
    var keepAliveSeconds = 1.0
    /// vCPUs for guests per host (nil: the host's CPUs times the default overcommit).
    var vcpus: Int?
    /// vigild's CPU priority (membership.nice; nil: the default).
    var nice: Int?
    /// Lines added to every agent's `migration:` section, e.g. `bandwidth_mibps: 1`.
    var migration: [String] = []
    /// Every agent serves its API on TCP (its address, port 7480) over TLS with the cluster secret.
    var tcpAPI = false
}

/// Samples every HA domain's running copies while a scenario runs: the "never on two hosts" check.
final class DuplicateWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var worst: [String: [String]] = [:]
    private var task: Task<Void, Never>?

    func start(_ cluster: AgentCluster, domains: [String]) {
        task = Task.detached {
            while !Task.isCancelled {
                for d in domains {
                    let hosts = cluster.runningHosts(of: d)
                    self.lock.withLock { if hosts.count > (self.worst[d]?.count ?? 0) { self.worst[d] = hosts } }
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Stops sampling and returns every domain seen running on more than one host, with the hosts.
    func stop() async -> [String: [String]] {
        task?.cancel()
        await task?.value
        return lock.withLock { worst.filter { $0.value.count > 1 } }
    }
}

/// A `vigil events --follow --output json` process and what it printed.
struct EventFollower {
    let pid: pid_t
    let output: String

    /// The decisions printed so far (NDJSON: one object per line).
    func decisions() -> [DecisionView] {
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? APICoding.decode(DecisionView.self, Data($0.utf8)) }
    }

    /// Ends the process; whether it was still following (it must not have exited on its own).
    func stop() -> Bool {
        let stillRunning = Spawn.reap(pid) == nil
        kill(pid, SIGTERM)
        _ = try? Spawn.wait(pid)
        return stillRunning
    }
}

/// One followed decision in a line, for a test's output.
struct EventsLine: CustomStringConvertible {
    let text: String
    init(_ d: DecisionView) { text = "\(d.kind) \(d.group ?? "-") \(d.nodes.joined(separator: "->")) after \(d.trigger)" }
    var description: String { text }
}
