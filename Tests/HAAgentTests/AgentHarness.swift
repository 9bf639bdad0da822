import AgentAPI
import AsyncHTTPClient
import Foundation
import Libvirt
import NIOHTTP1
import Logging
import NIOCore
import XCTest
@testable import HAAgent

/// A whole `VigilAgent` in this process: embedded SQLite store, libvirt's test driver, its API on a
/// unix socket in a temporary directory. Real parts throughout except QEMU (proven in the lab tests).
final class AgentHarness: @unchecked Sendable {
    let directory: String
    let configuration: AgentConfiguration
    let metrics = AgentMetrics()
    private(set) var reloads = ConfigurationReloads()
    private var task: Task<Void, Error>?

    /// `etcdEndpoints`: the agent keeps its state in that etcd instead of an embedded store;
    /// `configure` changes the settings last (the TCP API, say).
    init(node: String = "solo", reconcileSeconds: Double = 1, probe: [String] = [], etcdEndpoints: [String] = [],
         configure: (inout AgentConfiguration, _ directory: String) throws -> Void = { _, _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-agent-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory + "/shared/vms", withIntermediateDirectories: true)
        try "lock_manager = \"lockd\"\n".write(toFile: directory + "/qemu.conf", atomically: true, encoding: .utf8)
        var settings = AgentConfiguration(node: node, libvirtURI: "test:///default", sharedStorage: directory + "/shared",
                                          qemuConfPath: directory + "/qemu.conf", logLevel: "warning")
        settings.store.embeddedPath = directory + "/state.sqlite"
        settings.store.etcdEndpoints = etcdEndpoints
        settings.api.socket = directory + "/vigild.sock"
        settings.api.metricsListen = ""
        settings.health.reconcileIntervalSeconds = reconcileSeconds
        settings.health.shutdownDeadlineSeconds = 1
        settings.health.probeCommand = probe
        settings.health.probeIntervalSeconds = 0.2
        settings.health.probeFailures = 2
        settings.health.probeStartGraceSeconds = 0
        settings.watchdog.enabled = false  // never arm a real /dev/watchdog on a test machine
        try configure(&settings, directory)
        configuration = settings
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes a configuration file for a `vigild` process of its own on this harness's directory
    /// (test driver, embedded store, API socket, no metrics listener, no watchdog); every other
    /// setting at its default, then `extra` YAML lines. Returns the file's path.
    @discardableResult
    func writeDaemonConfiguration(node: String, logLevel: String, extra: String = "") throws -> String {
        let path = directory + "/vigild.yaml"
        try """
        node: \(node)
        libvirt_uri: "test:///default"
        shared_storage: \(configuration.sharedStorage)
        qemu_conf: \(configuration.qemuConfPath)
        store: {embedded_path: \(configuration.store.embeddedPath)}
        api: {socket: \(configuration.api.socket), metrics_listen: ""}
        watchdog: {enabled: false}
        log_level: \(logLevel)
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start() {
        var logger = Logger(label: "vigild-test")
        logger.logLevel = ProcessInfo.processInfo.environment["VIGIL_TEST_LOG"] == nil ? .warning : .info
        reloads = ConfigurationReloads()  // one stream per agent run
        let agent = VigilAgent(configuration: configuration, metrics: metrics, reloads: reloads, logger: logger)
        task = Task { try await agent.run() }
    }

    /// Waits until the agent ends by itself; its error, if it failed.
    func failure() async -> (any Error)? {
        guard let task else { return nil }
        if case .failure(let error) = await task.result { return error }
        return nil
    }

    /// Stops the agent as a crash would, from the domains' point of view: they keep running.
    func stop() async {
        task?.cancel()
        _ = await task?.result
        task = nil
    }

    /// Writes a test-driver domain with one disk on shared storage; returns its XML path.
    func writeDomain(_ name: String) throws -> String {
        let disk = "\(directory)/shared/vms/\(name).img"
        _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 4096))
        let xml = """
        <domain type='test'>
          <name>\(name)</name>
          <uuid>\(UUID().uuidString.lowercased())</uuid>
          <memory unit='MiB'>128</memory>
          <vcpu>1</vcpu>
          <os><type>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='\(disk)'/><target dev='vda' bus='virtio'/></disk>
          </devices>
        </domain>
        """
        let path = "\(directory)/shared/vms/\(name).xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Makes a fresh test-driver domain highly available and waits until its group is online.
    func addOnline(_ vm: String) async throws {
        let answer = try await call(.POST, AgentAPI.vms, body: try JSONEncoder().encode(AddVMRequest(domain: vm, xmlPath: try writeDomain(vm))))
        XCTAssertEqual(answer.status, 201, String(decoding: answer.body, as: UTF8.self))
        try await waitUntil("\(vm) online") { try await self.status().groups.first { $0.name == vm }?.status == "online" }
    }

    /// Removes a test domain from libvirt's process-wide test driver.
    static func remove(_ vm: String) {
        guard let libvirt = try? Connection(uri: "test:///default") else { return }
        try? libvirt.lookup(name: vm).destroy()
        try? libvirt.lookup(name: vm).undefine()
    }

    /// One API call over the unix socket: status code and body.
    func call(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: URL(httpURLWithSocketPath: configuration.api.socket, uri: path)!.absoluteString)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(bytes: Array(body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    func status() async throws -> ClusterStatus {
        try JSONDecoder().decode(ClusterStatus.self, from: try await call(.GET, AgentAPI.status).body)
    }

    /// Polls until `condition` holds, failing with `what` after `timeout` seconds.
    func waitUntil(_ what: String, timeout: Double = 15, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTFail("timed out after \(timeout) s waiting for: \(what)")
        throw CancellationError()
    }

    func waitForAPI() async throws {
        try await waitUntil("the agent's API to answer with a leader") { try await self.status().leader != nil }
    }
}
