import Foundation
import HACore
import XCTest
@testable import HAAgent

/// Loading and validating vigild's YAML configuration.
final class AgentConfigurationTests: XCTestCase {
    func load(_ yaml: String) throws -> AgentConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigild-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try AgentConfiguration.load(path: path)
    }

    func testMinimalFileGetsDefaults() throws {
        let c = try load("shared_storage: /srv/vigil\n")
        XCTAssertEqual(c.sharedStorage, "/srv/vigil")
        XCTAssertEqual(c.libvirtURI, "qemu:///system")
        XCTAssertEqual(c.membership.leaseTTLSeconds, 5)
        XCTAssertEqual(c.store.etcdEndpoints, [])
        XCTAssertFalse(c.node.isEmpty)
    }

    func testDocumentedExampleMatchesTheDefaults() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var example = try AgentConfiguration.load(path: repo.appendingPathComponent("deploy/vigild.yaml").path)
        example.node = AgentConfiguration.defaultNodeName
        XCTAssertEqual(example, AgentConfiguration(sharedStorage: "/srv/vigil"), "deploy/vigild.yaml documents the defaults")
    }

    func testEverySettingIsRead() throws {
        let c = try load("""
        node: h1
        cluster: lab
        libvirt_uri: qemu:///system
        migration_uri: qemu+tcp://10.77.0.11/system
        shared_storage: /srv/vigil
        store: {etcd_endpoints: [http://10.77.0.11:2379], call_timeout_seconds: 1.5}
        membership: {lease_ttl_seconds: 6, keepalive_interval_seconds: 1, self_fence_margin_seconds: 2, fencing_margin_seconds: 3}
        health: {probe_command: [/usr/local/bin/probe], probe_failures: 2, reconcile_interval_seconds: 5, guest_agent: false, guest_agent_timeout_seconds: 9,
                 host_check_interval_seconds: 2, libvirt_check_timeout_seconds: 4, storage_check_timeout_seconds: 6, storage_check_failures: 5}
        migration: {allow_unsafe: true, max_downtime_ms: 200}
        api: {socket: /run/v.sock, metrics_listen: "127.0.0.1:1"}
        capacity: {memory_mib: 4096, vcpus: 4, reserved_memory_mib: 512}
        coordinator: {drain_concurrency: 4, cluster_move_concurrency: 7, drain_deadline: 1h30m, quarantine: 5/2h, quarantine_duration: 0s}
        log_level: debug
        """)
        XCTAssertEqual(c.node, "h1")
        XCTAssertEqual(c.migrationURI, "qemu+tcp://10.77.0.11/system")
        XCTAssertEqual(c.store.callTimeoutSeconds, 1.5)
        XCTAssertEqual(c.membership.fencingMarginSeconds, 3)
        XCTAssertEqual(c.health.probeCommand, ["/usr/local/bin/probe"])
        XCTAssertFalse(c.health.guestAgent)
        XCTAssertEqual(c.health.guestAgentTimeoutSeconds, 9)
        let node = c.health.nodeSettings
        XCTAssertEqual([node.hostCheckInterval, node.hypervisorCheckTimeout, node.storageCheckTimeout], [.seconds(2), .seconds(4), .seconds(6)])
        XCTAssertEqual(node.storageFailures, 5)
        XCTAssertTrue(c.migration.allowUnsafe)
        XCTAssertEqual(c.capacity.memoryMiB, 4096)
        let coordinator = try c.coordinatorConfiguration()
        XCTAssertEqual(coordinator.maxConcurrentMovesPerDrain, 4)
        XCTAssertEqual(coordinator.maxConcurrentMovesPerCluster, 7)
        XCTAssertEqual(coordinator.drainDeadline, .minutes(90))
        XCTAssertEqual(coordinator.quarantine, ThresholdPolicy(threshold: 5, period: .hours(2)))
        XCTAssertEqual(coordinator.quarantineDuration, .zero)
        XCTAssertEqual(coordinator.fencingMargin, .seconds(3))
    }

    func testErrorsNameTheSetting() {
        func message(_ yaml: String) -> String {
            do { _ = try load(yaml); return "no error" } catch { return "\(error)" }
        }
        let missing = message("node: h1\n")
        XCTAssertTrue(missing.contains("shared_storage"), missing)
        let typo = message("shared_storage: /s\nmembership: {lease_ttl_seconds: many}\n")
        XCTAssertTrue(typo.contains("lease_ttl_seconds"), typo)
        XCTAssertTrue(message("shared_storage: /s\nmembership: {lease_ttl_seconds: 4, self_fence_margin_seconds: 5}\n").contains("self_fence_margin_seconds"))
        XCTAssertTrue(message("shared_storage: /s\nmembership: {nice: -40}\n").contains("membership.nice"))
        XCTAssertTrue(message("shared_storage: /s\nstore: {etcd_endpoints: [10.0.0.1:2379]}\n").contains("must start with http"))
        XCTAssertTrue(message("shared_storage: relative\n").contains("absolute"))
        XCTAssertTrue(message("shared_storage: /s\napi: {tcp_listen: \"0.0.0.0:7480\"}\n").contains("api.secret_file"))
        XCTAssertTrue(message("shared_storage: [unclosed\n").contains("cannot use configuration file"))
        XCTAssertTrue(message("shared_storage: /s\nhealth: {guest_agent_timeout_seconds: 0}\n").contains("guest_agent_timeout_seconds"))
        for setting in ["host_check_interval_seconds", "libvirt_check_timeout_seconds", "storage_check_timeout_seconds", "storage_check_failures"] {
            XCTAssertTrue(message("shared_storage: /s\nhealth: {\(setting): 0}\n").contains("health.\(setting)"), setting)
        }
        XCTAssertTrue(message("shared_storage: /s\ncoordinator: {quarantine: often}\n")
            .hasSuffix(": setting coordinator.quarantine: bad threshold 'often' (use COUNT/PERIOD, e.g. 1/15m)"))
        XCTAssertTrue(message("shared_storage: /s\ncoordinator: {quarantine_duration: 2d}\n").contains("coordinator.quarantine_duration"))
        XCTAssertTrue(message("shared_storage: /s\ncoordinator: {drain_concurrency: 0}\n").contains("coordinator.drain_concurrency"))
        XCTAssertTrue(message("shared_storage: /s\ncoordinator: {cluster_move_concurrency: 0}\n").contains("coordinator.cluster_move_concurrency"))
        XCTAssertTrue(message("shared_storage: /s\ncoordinator: {drain_deadline: soon}\n").contains("coordinator.drain_deadline"))
        XCTAssertTrue(message("shared_storage: /s\ncoordinator: {drain_deadline: 0s}\n").contains("coordinator.drain_deadline: must be longer than 0s"))
    }

    func testMigrationLimitsAreReadWithKubeVirtsDefaults() throws {
        let defaults = try load("shared_storage: /s\n").migration
        XCTAssertEqual(defaults.limits.completionPerGiB, .seconds(150))
        XCTAssertEqual(defaults.limits.noProgress, .seconds(150))
        XCTAssertTrue(defaults.limits.autoConverge)
        XCTAssertFalse(defaults.limits.postCopy, "post-copy loses the guest on a network failure: off unless asked for")
        let c = try load("shared_storage: /s\nmigration: {completion_seconds_per_gib: 40, no_progress_seconds: 2.5, auto_converge: false, post_copy: true, sample_interval_ms: 250}\n")
        XCTAssertEqual(c.migration.limits.completionPerGiB, .seconds(40))
        XCTAssertEqual(c.migration.limits.noProgress, .milliseconds(2500))
        XCTAssertFalse(c.migration.limits.autoConverge)
        XCTAssertTrue(c.migration.limits.postCopy)
        XCTAssertEqual(c.migration.sampleIntervalMilliseconds, 250)
        func message(_ yaml: String) -> String {
            do { _ = try load("shared_storage: /s\nmigration: \(yaml)\n"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("{no_progress_seconds: 0}").contains("no_progress_seconds"), message("{no_progress_seconds: 0}"))
        XCTAssertTrue(message("{completion_seconds_per_gib: -1}").contains("completion_seconds_per_gib"))
        XCTAssertTrue(message("{sample_interval_ms: 5000}").contains("at least every second"), message("{sample_interval_ms: 5000}"))
    }

    func testFencingSectionReadsLevelsWithDefaults() throws {
        let c = try load("""
        shared_storage: /srv/vigil
        fencing:
          nodes:
            h1:
              - - agent: /usr/sbin/fence_ipmilan
                  options: {ip: 10.0.0.101, username: admin, password: secret, lanplus: 1, ipport: 623}
              - - {agent: /usr/sbin/fence_apc, plug: "3", timeout_seconds: 5, retries: 0}
                - {agent: /usr/sbin/fence_apc, plug: "4", options: {ip: 10.0.0.9}}
        """)
        let levels = try XCTUnwrap(c.fencing.topology(for: "h1")).levels
        XCTAssertEqual(levels, [
            [FenceDevice(agent: "/usr/sbin/fence_ipmilan",
                         options: ["ip": "10.0.0.101", "username": "admin", "password": "secret", "lanplus": "1", "ipport": "623"])],
            [FenceDevice(agent: "/usr/sbin/fence_apc", plug: "3", timeoutSeconds: 5, retries: 0),
             FenceDevice(agent: "/usr/sbin/fence_apc", options: ["ip": "10.0.0.9"], plug: "4")],
        ])
        XCTAssertEqual(levels[0][0].timeoutSeconds, 20, "default timeout per attempt")
        XCTAssertEqual(levels[0][0].retries, 1, "default: one extra attempt")
        XCTAssertNil(c.fencing.topology(for: "h2"), "a node without devices has no topology")
        XCTAssertEqual(c.restartOnlyChanges(from: try load("shared_storage: /srv/vigil\n")), ["fencing"])
    }

    func testFencingErrorsNameTheSetting() {
        func message(_ devices: String) -> String {
            do { _ = try load("shared_storage: /s\nfencing:\n  nodes:\n    h1: \(devices)\n"); return "no error" } catch { return "\(error)" }
        }
        let level = "fencing.nodes.h1 level 2 device 1"
        XCTAssertTrue(message("[[{agent: /a}], [{agent: \"\"}]]").hasSuffix("setting \(level) agent: must name the agent executable"))
        XCTAssertTrue(message("[[{agent: /a}], [{options: {ip: x}}]]").contains("\(level) agent: must name"))
        XCTAssertTrue(message("[[{agent: /a}], [{agent: fence_ipmilan}]]").contains("\(level) agent: 'fence_ipmilan' must be an absolute path"))
        XCTAssertTrue(message("[[{agent: /a}], [{agent: /a, timeout_seconds: 0}]]").hasSuffix("\(level) timeout_seconds: must be positive"))
        XCTAssertTrue(message("[[{agent: /a}], [{agent: /a, retries: -1}]]").hasSuffix("\(level) retries: must not be negative"))
        XCTAssertTrue(message("[[{agent: /a}], []]").hasSuffix("setting fencing.nodes.h1 level 2: a level needs at least one device"))
        XCTAssertTrue(message("[]").hasSuffix("setting fencing.nodes.h1: needs at least one level of devices"))
        XCTAssertTrue(message("[[{agent: /a}], [{agent: /a, options: {action: on}}]]").contains("\(level) options.action: is set by vigild"))
        XCTAssertTrue(message("[[{agent: /a}], [{agent: /a, options: {\"a=b\": x}}]]").contains("\(level) options.a=b"))
        XCTAssertTrue(message("[[{agent: /a, timeout_seconds: soon}]]").contains("timeout_seconds"))
        XCTAssertEqual(message("[[{agent: /a}]]"), "no error")
    }

    func testClusterSecretIsCheckedInConstantTimeAndFileModeEnforced() throws {
        let secret = ClusterSecret(secret: "0123456789abcdef-cluster")
        XCTAssertTrue(secret.authorizes("Bearer 0123456789abcdef-cluster"))
        XCTAssertFalse(secret.authorizes("Bearer 0123456789abcdef-clusteR"))
        XCTAssertFalse(secret.authorizes("Basic 0123456789abcdef-cluster"))
        XCTAssertFalse(secret.authorizes(nil))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "0123456789abcdef-cluster\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        XCTAssertThrowsError(try ClusterSecret(path: path)) { XCTAssertTrue("\($0)".contains("chmod 600"), "\($0)") }
        chmod(path, 0o600)
        XCTAssertTrue(try ClusterSecret(path: path).authorizes("Bearer 0123456789abcdef-cluster"))
    }

    func testLockManagerIsRequired() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qemu-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "#lock_manager = \"lockd\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LockManagerCheck.verify(qemuConf: path)) { XCTAssertTrue("\($0)".contains("no lock_manager setting"), "\($0)") }
        try "lock_manager = \"sanlock\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LockManagerCheck.verify(qemuConf: path)) { XCTAssertTrue("\($0)".contains("sanlock"), "\($0)") }
        try "user = \"root\"\nlock_manager = \"lockd\"  # required by Vigil\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try LockManagerCheck.verify(qemuConf: path))
    }

    func testPeersSectionIsReadAndResolved() throws {
        let c = try load("""
        shared_storage: /srv/vigil
        migration_uri: qemu+tls://10.77.0.11/system
        api: {secret_file: /etc/vigil/api.secret}
        peers: {listen: "10.77.0.11:8000", period_ms: 50, timeout_ms: 400}
        """)
        XCTAssertEqual(c.peers.periodMilliseconds, 50)
        XCTAssertEqual(c.peerHeartbeats, .enabled(listen: "10.77.0.11:8000", address: "10.77.0.11:8000", period: .milliseconds(50),
                                                  timeout: .milliseconds(400), secretFile: "/etc/vigil/api.secret"),
                       "address from migration_uri's host and listen's port; secret from the API")
        let explicit = try load("""
        shared_storage: /srv/vigil
        peers: {address: "h1.lab:7000", secret_file: /etc/vigil/peers.secret}
        """)
        XCTAssertEqual(explicit.peerHeartbeats, .enabled(listen: "0.0.0.0:7947", address: "h1.lab:7000", period: .milliseconds(100),
                                                         timeout: .seconds(1), secretFile: "/etc/vigil/peers.secret"))
        XCTAssertEqual(explicit.restartOnlyChanges(from: try load("shared_storage: /srv/vigil\n")), ["peers"])
        let ipv6 = try load("shared_storage: /s\nmigration_uri: qemu+ssh://root@[fd00::11]/system\napi: {secret_file: /k}\n")
        XCTAssertEqual(ipv6.peerHeartbeats, .enabled(listen: "0.0.0.0:7947", address: "[fd00::11]:7947", period: .milliseconds(100),
                                                     timeout: .seconds(1), secretFile: "/k"))
    }

    func testPeerHeartbeatsAreOffWithoutSecretOrAddressAndSayWhy() throws {
        func reason(_ yaml: String) throws -> String {
            if case .disabled(let reason) = try load("shared_storage: /s\n" + yaml).peerHeartbeats { return reason }
            return "enabled"
        }
        XCTAssertTrue(try reason("").contains("no cluster secret"), "the defaults: no secret")
        XCTAssertTrue(try reason("migration_uri: qemu+tcp://h1/system\n").contains("no cluster secret"))
        XCTAssertTrue(try reason("api: {secret_file: /k}\n").contains("peers.address"), "no migration_uri to derive the address from")
        XCTAssertTrue(try reason("api: {secret_file: /k}\nmigration_uri: qemu:///system\n").contains("peers.address"), "no host in it")
        XCTAssertTrue(try reason("api: {secret_file: /k}\nmigration_uri: qemu+tcp://h1/system\npeers: {listen: \"\"}\n")
            .contains("peers.listen is empty"))
        XCTAssertEqual(try reason("api: {secret_file: /k}\nmigration_uri: qemu+tcp://h1/system\n"), "enabled")
    }

    func testPeerErrorsNameTheSetting() {
        func message(_ peers: String) -> String {
            do { _ = try load("shared_storage: /s\npeers: \(peers)\n"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("{listen: \"7947\"}").contains("setting peers.listen: '7947' is not address:port"))
        XCTAssertTrue(message("{listen: \"0.0.0.0:70000\"}").contains("setting peers.listen"))
        XCTAssertTrue(message("{address: \":7947\"}").contains("setting peers.address: ':7947' is not host:port"))
        XCTAssertTrue(message("{period_ms: 0}").contains("setting peers.period_ms: must be 10 to 10000"))
        XCTAssertTrue(message("{timeout_ms: 299}").contains("setting peers.timeout_ms: must be at least 3 × period_ms (300)"))
        XCTAssertTrue(message("{period_ms: 200, timeout_ms: 500}").contains("(600)"))
        XCTAssertTrue(message("{secret_file: cluster.secret}").contains("setting peers.secret_file: must be an absolute path"))
        XCTAssertTrue(message("{timeout_ms: soon}").contains("timeout_ms"))
        XCTAssertEqual(message("{listen: \"\", timeout_ms: 300}"), "no error", "empty listen disables; 3 periods is enough")
    }
}
