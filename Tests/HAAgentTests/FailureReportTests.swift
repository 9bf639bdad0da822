import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging
import Synchronization
import XCTest
@testable import HAAgent

/// A node reports each failure to the leader once, and again when the report did not get through.
final class FailureReportTests: XCTestCase {
    func testAReportTheStoreDidNotTakeIsSentAgainAtTheNextSign() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-report-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let embedded = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: nil)
        let store = InboxOutage(embedded)
        let metrics = AgentMetrics()
        let configuration = AgentConfiguration(node: "n1", libvirtURI: "test:///default", sharedStorage: directory,
                                               qemuConfPath: directory + "/qemu.conf", logLevel: "critical")
        var logger = Logger(label: "failure-report-test")
        logger.logLevel = .critical
        let agent = NodeAgent(node: "n1", store: store, hypervisor: try LibvirtHypervisor(uri: "test:///default"),
                              configuration: configuration, metrics: metrics, logger: logger)
        func inbox() async throws -> Int { try await embedded.list(prefix: ClusterKeys.inbox.prefix).kvs.count }

        await agent.feed(.definitions([try GroupDefinition(id: "g1", resources: [.vm("vm1", memoryMiB: 128, vcpus: 1)])]))
        await agent.feed(.domainStarted("vm1", migratedIn: true))  // watched here from now on
        let placedHere = GroupState(phase: .online("n1"))
        let missing = Inventory(domains: [], believed: ["g1": placedHere])

        store.failing.withLock { $0 = true }  // the store is unreachable for this write
        await agent.feed(.domainStopped("vm1", detail: "crashed"))
        let notTaken = await agent.instance.phase(of: "g1")
        XCTAssertEqual(notTaken, .idle, "an undelivered report is not marked as reported")
        var messages = try await inbox()
        XCTAssertEqual(messages, 0)
        XCTAssertTrue(metrics.render().contains("vigil_resource_failures_total 0"), metrics.render())

        store.failing.withLock { $0 = false }
        await agent.feed(.inventory(missing))  // the next sign of the same failure: the reconcile finds it missing
        messages = try await inbox()
        XCTAssertEqual(messages, 1)
        await agent.feed(.inventory(missing))  // further signs are the same failure
        messages = try await inbox()
        XCTAssertEqual(messages, 1, "one report per failure once delivered")
        XCTAssertTrue(metrics.render().contains("vigil_resource_failures_total 1"), metrics.render())
        await embedded.close()
    }
}

/// A store whose writes to the leader's inbox fail while `failing` is set (as when etcd is out of
/// reach); everything else goes to the real store.
private final class InboxOutage: CoordinationStore {
    let base: EmbeddedStore
    let failing = Mutex(false)
    init(_ base: EmbeddedStore) { self.base = base }

    func get(_ key: String) async throws -> KeyValue? { try await base.get(key) }
    func list(prefix: String) async throws -> (kvs: [KeyValue], revision: Revision) { try await base.list(prefix: prefix) }
    func put(_ key: String, _ value: [UInt8], lease: LeaseID?) async throws -> Revision {
        if key.hasPrefix(ClusterKeys.inbox.prefix), failing.withLock({ $0 }) { throw StoreError.unavailable("test: inbox out of reach") }
        return try await base.put(key, value, lease: lease)
    }
    func delete(_ key: String) async throws -> Bool { try await base.delete(key) }
    func transaction(_ txn: Transaction) async throws -> TransactionResult { try await base.transaction(txn) }
    func grantLease(ttlSeconds: Int64) async throws -> Lease { try await base.grantLease(ttlSeconds: ttlSeconds) }
    func keepAlive(_ lease: LeaseID) async throws -> Int64 { try await base.keepAlive(lease) }
    func revokeLease(_ lease: LeaseID) async throws { try await base.revokeLease(lease) }
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchEvent, Error> {
        base.watch(prefix: prefix, fromRevision: fromRevision)
    }
    func compact(revision: Revision) async throws { try await base.compact(revision: revision) }
}
