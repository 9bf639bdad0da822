import Foundation

/// A running multi-host lab (`deploy/lab/lab`): its hosts, fault injection, guests, heartbeats.
public final class Lab: Sendable {
    /// One simulated host: its name (h1...), lab address and libvirt URI (usable from this process).
    public struct Host: Sendable, Equatable {
        public let name: String
        public let address: String
        public let uri: String
        /// URI for a libvirtd inside the lab (e.g. a peer-to-peer migration destination).
        public var tcpURI: String { "qemu+tcp://\(address)/system" }
    }

    /// A guest built on shared storage by `lab guest`.
    public struct Guest: Sendable {
        public let name: String
        /// Directory on shared storage holding its disk and domain XML.
        public let directory: String
        public let domainXML: String
    }

    public let script: LabScript
    public let hosts: [Host]
    /// The lab's root directory (`$VIGIL_LAB_DIR`, default /var/lib/vigil-lab).
    public let directory: String

    /// Shared storage: the same path on every host.
    public var sharedStorage: String { directory + "/shared" }
    /// etcd client URLs of the members (on the first three hosts), reachable from this namespace.
    public var etcdEndpoints: [String] { hosts.prefix(3).map { "http://\($0.address):2379" } }

    private init(script: LabScript, hosts: [Host]) {
        self.script = script
        self.hosts = hosts
        self.directory = ProcessInfo.processInfo.environment["VIGIL_LAB_DIR"] ?? "/var/lib/vigil-lab"
    }

    /// Starts a lab of `count` hosts. Throws `.hostUnsupported` when the machine cannot host it.
    public static func up(hosts count: Int = 3, script: LabScript? = nil) async throws(LabError) -> Lab {
        let located: LabScript
        if let script { located = script } else { located = try LabScript.locate() }
        let out = try await located.run(["up", String(count)])
        let hosts = out.split(separator: "\n").compactMap { line -> Host? in
            let f = line.split(separator: " ").map(String.init)
            return f.count == 3 ? Host(name: f[0], address: f[1], uri: f[2]) : nil
        }
        return Lab(script: located, hosts: hosts)
    }

    /// Brings a lab up, runs `body`, and always runs `down` afterwards, even when `body` throws;
    /// then checks that nothing of the lab is left (throws `.leftovers` otherwise). Labs of this
    /// machine take turns (see `LabLock`): a second caller waits until the first one is down.
    public static func with<T>(hosts count: Int = 3, _ body: (Lab) async throws -> T) async throws -> T {
        let lock = try await LabLock.acquire()
        defer { lock.release() }
        let script = try LabScript.locate()
        try await script.run(["down"])  // a crashed earlier run may have left a lab behind
        let lab: Lab
        do { lab = try await up(hosts: count, script: script) } catch {
            _ = try? await script.run(["down"])
            throw error
        }
        let result: Result<T, any Error>
        do { result = .success(try await body(lab)) } catch { result = .failure(error) }
        let pids = (try? await lab.processIDs()) ?? []
        let downFailure: LabError?
        do { try await lab.down(); downFailure = nil } catch { downFailure = error }
        let value = try result.get()  // the body's own failure comes first
        if let downFailure { throw downFailure }
        let left = Lab.leftovers(pids: pids)
        if !left.isEmpty { throw LabError.leftovers(left) }
        return value
    }

    /// Stops everything the lab started and removes its namespaces; `purge` also drops images and caches.
    public func down(purge: Bool = false) async throws(LabError) { try await script.run(purge ? ["down", "--purge"] : ["down"]) }

    public func host(_ name: String) throws(LabError) -> Host {
        guard let host = hosts.first(where: { $0.name == name }) else { throw .unknownHost(name) }
        return host
    }

    /// Power loss: SIGKILL every process of the host (daemons, etcd member, QEMU guests).
    public func kill(_ host: String) async throws(LabError) { try await script.run(["kill", host]) }
    /// Boots a killed host again: daemons and etcd back, no VM auto-started.
    public func start(_ host: String) async throws(LabError) { try await script.run(["start", host]) }
    /// Cuts the host's network link (other hosts, their etcd, the root leg); its processes keep running.
    public func partition(_ host: String) async throws(LabError) { try await script.run(["partition", host]) }
    public func heal(_ host: String) async throws(LabError) { try await script.run(["heal", host]) }
    /// kill -9 of the host's etcd member alone (the host and everything else on it run on).
    public func killEtcdMember(_ host: String) async throws(LabError) { try await script.run(["etcd-kill", host]) }
    /// Starts the host's etcd member again, its data kept; returns once the member is healthy.
    public func startEtcdMember(_ host: String) async throws(LabError) { try await script.run(["etcd-start", host]) }
    /// Gives the host an emulated watchdog (`lab watchdog`): returns its FIFO's path as seen from this
    /// namespace (`/run/watchdog` inside the host). Not petted for `timeoutSeconds`, it powers the host
    /// off as `kill` does and logs `fired <unix-time> last-pet <unix-time>` to `watchdogLog(host)`.
    public func watchdog(_ host: String, timeoutSeconds: Double) async throws(LabError) -> String {
        try await script.run(["watchdog", host, String(timeoutSeconds)]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// The emulated watchdog's event log of a host (one "EVENT <unix-time> ..." line each).
    public func watchdogLog(_ host: String) -> String { directory + "/state/watchdog-\(host).log" }

    /// Runs a command inside the host's namespaces; returns its standard output.
    @discardableResult
    public func exec(_ host: String, _ command: [String]) async throws(LabError) -> String {
        try await script.run(["exec", host] + command)
    }

    /// Runs a command inside the host's namespaces with `input` on its standard input; returns its
    /// exit status and output, whatever the status.
    public func exec(_ host: String, _ command: [String], input: String) async throws(LabError) -> (status: Int32, out: String, err: String) {
        try await script.run(["exec", host] + command, input: input)
    }

    /// The host whose etcd member leads (as the members report it), asked from `via`; nil when no
    /// member that answers knows a leader.
    public func etcdLeader(via: String = "h1") async throws(LabError) -> String? {
        let out = try await exec(via, ["etcdctl", "--endpoints=\(etcdEndpoints.joined(separator: ","))",
                                       "--command-timeout=2s", "endpoint", "status", "-w", "json"])
        struct Endpoint: Decodable {
            struct Status: Decodable {
                struct Header: Decodable { var member_id: UInt64 }
                var header: Header
                var leader: UInt64
            }
            var Endpoint: String
            var Status: Status
        }
        guard let statuses = try? JSONDecoder().decode([Endpoint].self, from: Data(out.utf8)),
              let leader = statuses.first(where: { $0.Status.leader != 0 })?.Status.leader,
              let endpoint = statuses.first(where: { $0.Status.header.member_id == leader })?.Endpoint else { return nil }
        return hosts.first { endpoint == "http://\($0.address):2379" }?.name
    }

    /// Makes the host's etcd member the leader (etcdctl move-leader), asked from `via`.
    public func moveEtcdLeader(to host: String, via: String = "h1") async throws(LabError) {
        let target = try self.host(host)
        let out = try await exec(via, ["etcdctl", "--endpoints=http://\(target.address):2379", "--command-timeout=2s",
                                       "endpoint", "status", "-w", "json"])
        guard let range = out.range(of: "\"member_id\":"),
              let id = UInt64(out[range.upperBound...].prefix { $0.isNumber }) else {
            throw .commandFailed(arguments: ["etcdctl endpoint status", host], status: 0, message: out)
        }
        try await exec(via, ["etcdctl", "--endpoints=\(etcdEndpoints.joined(separator: ","))", "--command-timeout=5s",
                             "move-leader", String(id, radix: 16)])
    }

    /// The lab BMC's address and port (`lib/bmc.py`, on the root leg: reachable from every host
    /// that is not partitioned, and from this namespace).
    public var bmcAddress: (ip: String, port: Int) { ("10.77.0.1", 6230) }
    /// The BMC's password, fresh at every `up` (`lab bmc-secret`).
    public func bmcSecret() async throws(LabError) -> String {
        try await script.run(["bmc-secret"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// The lab's fence agent (`deploy/lab/fence_lab`), next to the lab script.
    public var fenceAgent: String { (script.path as NSString).deletingLastPathComponent + "/fence_lab" }

    /// Builds a guest (direct kernel boot, busybox initramfs, differencing qcow2, a tiny guest
    /// agent) on shared storage. With `hangAfterSeconds`, its OS hangs that long into its first
    /// boot: heartbeats and guest agent stop while QEMU runs on.
    public func guest(_ name: String, memoryMiB: Int = 128, hangAfterSeconds: Int? = nil) async throws(LabError) -> Guest {
        let hang = hangAfterSeconds.map { ["--hang-after", String($0)] } ?? []
        let path = try await script.run(["guest", name, "--memory", String(memoryMiB)] + hang)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let xml = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .commandFailed(arguments: ["guest", name], status: 0, message: "cannot read \(path)")
        }
        return Guest(name: name, directory: (path as NSString).deletingLastPathComponent, domainXML: xml)
    }

    /// Every PID the lab runs now: all processes of every host, plus the root-namespace helpers (the
    /// heartbeat collector, the BMC and the emulated watchdogs).
    public func processIDs() async throws(LabError) -> [Int32] {
        let status = try await script.run(["status"])
        var pids = status.split(separator: "\n").flatMap { line -> [Int32] in
            guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("pids=") }) else { return [] }
            return field.dropFirst(5).split(separator: ",").compactMap { Int32($0) }
        }
        let helpers = ["collector.pid", "bmc.pid"] + hosts.map { "watchdog-\($0.name).pid" }
        for file in helpers {
            if let text = try? String(contentsOfFile: directory + "/state/" + file, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { pids.append(pid) }
        }
        return pids
    }

    /// What of a lab is still present: live processes among `pids`, lab namespaces, the root leg,
    /// and mounts of lab namespaces. Empty when everything is gone.
    public static func leftovers(pids: [Int32]) -> [String] {
        var left: [String] = []
        for pid in pids where isRunning(pid) { left.append("process \(pid) (\(commandName(pid)))") }
        let netns = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        left += netns.filter { $0.hasPrefix("vlab-") }.map { "network namespace \($0)" }
        if FileManager.default.fileExists(atPath: "/sys/class/net/vlab0") { left.append("root leg vlab0") }
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        left += mounts.split(separator: "\n").filter { $0.contains("/netns/vlab-") }.map { "mount \($0)" }
        return left
    }

    private static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")  // a zombie holds nothing any more
    }

    private static func commandName(_ pid: Int32) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "?")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Lab {
    /// The PID of the QEMU process running `guest` on any host (the hosts share one PID namespace),
    /// found by its `-name guest=NAME,` argument in /proc.
    public static func qemuPID(of guest: String) -> Int32? { qemuPIDs(of: guest).first }

    /// Every QEMU process running `guest`, on every host, from /proc alone: what runs, whatever each
    /// host's libvirtd says or whether it answers at all. More than one is two copies of the guest
    /// (or a live migration's destination).
    public static func qemuPIDs(of guest: String) -> [Int32] {
        let needle = Array("guest=\(guest),".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let bytes = Array(data)
            guard bytes.count >= needle.count, isRunning(pid) else { return nil }
            return (0...(bytes.count - needle.count)).contains(where: { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }) ? pid : nil
        }.sorted()
    }
}
