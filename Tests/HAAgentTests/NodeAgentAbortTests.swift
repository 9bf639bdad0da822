import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging
import XCTest
@testable import HAAgent

/// A whole node agent against a host whose live migration never converges, and the leader's request
/// to abort it (`aborts/<group>`): the job is aborted, the guest keeps running here, the move ends
/// aborted without a second pass, the report says so, and the request is deleted once consumed.
final class NodeAgentAbortTests: XCTestCase {
    private var directory = ""
    private var store: EmbeddedStore!
    private var agent: NodeAgent!
    private var running: Task<Void, Error>?
    private let host = StuckMigrationHost(convergesWithAutoConverge: false)

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-abort-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: nil)
        var configuration = AgentConfiguration(node: "h1", libvirtURI: "test:///default", sharedStorage: directory,
                                               qemuConfPath: directory + "/qemu.conf", logLevel: "critical")
        configuration.health.reconcileIntervalSeconds = 3600
        configuration.migration.sampleIntervalMilliseconds = 50
        var logger = Logger(label: "abort-test")
        logger.logLevel = .critical
        agent = NodeAgent(node: "h1", store: store, hypervisor: host, configuration: configuration, metrics: AgentMetrics(), logger: logger)
        let spec = GroupSpec(definition: try GroupDefinition(id: "g", resources: [.vm("vm1", memoryMiB: 128, vcpus: 1)]))
        _ = try await store.put(ClusterKeys.group("g"), try StoreCoding.encode(spec))
        _ = try await store.put(ClusterKeys.agent("h2"), try StoreCoding.encode(AgentRecord(node: "h2", migrationURI: "qemu+tcp://h2/system")))
    }

    override func tearDown() async throws {
        running?.cancel()
        _ = await running?.result
        await store.close()
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the agent and waits until it has the group's definition (a task it gets before that fails at once).
    private func start() async throws {
        running = Task { [agent] in try await agent!.run() }
        try await waitUntil("the agent to read the group's definition") { await agent.specs["g"] != nil }
    }

    private func migrate() async throws {
        let task = AgentTask(id: "t1", group: "g", node: "h1", step: .liveMigrate(to: "h2"), reason: "draining h1")
        _ = try await store.put(ClusterKeys.task("h1", "g"), try StoreCoding.encode(task))
    }

    private func requestAbort(_ reason: String = "the drain of h1 was aborted") async throws {
        _ = try await store.put(ClusterKeys.moveAbort("g"), try StoreCoding.encode(MoveAbort(group: "g", node: "h1", reason: reason)))
    }

    private func waitUntil(_ what: String, timeout: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("timed out waiting for: \(what)")
        throw CancellationError()
    }

    private func reports() async throws -> [TaskReport] {
        try await store.read(ClusterKeys.inbox).readableValues().compactMap { if case .taskDone(let r) = $0.body { r } else { nil } }
    }

    private func move() async throws -> MoveRecord? { try await store.read(ClusterKeys.moves).readableValues().first }

    /// A task that arrives before the watch delivered its group's definition (a group added an
    /// instant ago: two watches, no order between them) reads the definition from the store.
    func testATaskThatOvertakesItsGroupsDefinitionReadsItFromTheStore() async throws {
        let report = await agent.run(AgentTask(id: "t0", group: "g", node: "h1", step: .takeOffline, reason: "stop g"))
        XCTAssertFalse(report.failure?.contains("no definition") == true, report.failure ?? "ok")
        let known = await agent.specs["g"]
        XCTAssertNotNil(known, "the definition read is kept")
    }

    func testAnAbortStopsTheJobKeepsTheGuestHereEndsTheMoveAbortedAndIsConsumed() async throws {
        try await start()
        try await migrate()
        try await waitUntil("the migration job to start") { !host.passes.isEmpty }
        try await requestAbort()
        try await waitUntil("the task's report") { try await !reports().isEmpty }
        let first = try await reports().first
        let report = try XCTUnwrap(first)
        XCTAssertEqual(report.task.id, "t1")
        XCTAssertTrue(report.failure?.contains("aborted as the leader asked: the drain of h1 was aborted") == true, report.failure ?? "succeeded")
        XCTAssertTrue(report.stillRunningHere, "the guest keeps running on the source")
        XCTAssertGreaterThanOrEqual(host.aborts, 1, "the libvirt job was aborted")
        XCTAssertEqual(host.passes.count, 1, "no second pass: an abort asked for is not a rung to climb past")
        let stored = try await move()
        let record = try XCTUnwrap(stored)
        XCTAssertEqual(record.phase, .aborted)
        XCTAssertEqual(record.vms["vm1"]?.rung, .abort)
        XCTAssertEqual(record.steps.map(\.what), ["abort", "live migration aborted"])
        XCTAssertTrue(record.steps.allSatisfy { $0.reason.contains("the drain of h1 was aborted") }, "\(record.steps.map(\.reason))")
        try await waitUntil("the abort request to be consumed") { try await store.get(ClusterKeys.moveAbort("g")) == nil }
    }

    func testAnAbortWrittenJustAfterItsTaskStopsItWhicheverWatchDeliversFirst() async throws {
        try await start()
        try await migrate()
        try await requestAbort("the deadline of the drain of h1 passed")
        try await waitUntil("the task's report") { try await !reports().isEmpty }
        let first = try await reports().first
        let report = try XCTUnwrap(first)
        XCTAssertTrue(report.failure?.contains("aborted as the leader asked") == true, report.failure ?? "succeeded")
        XCTAssertTrue(report.stillRunningHere)
        XCTAssertLessThanOrEqual(host.passes.count, 1, "no pass after the abort: none at all when the request came first")
        let stored = try await move()
        XCTAssertEqual(stored?.phase, .aborted)
        try await waitUntil("the abort request to be consumed") { try await store.get(ClusterKeys.moveAbort("g")) == nil }
    }

    func testAStaleAbortStopsNoNewerMigrationAndIsDeleted() async throws {
        try await start()
        try await requestAbort()
        try await migrate()
        try await waitUntil("the migration job to start, not stopped by the older request") { !host.passes.isEmpty }
        try await waitUntil("the stale abort request to be deleted") { try await store.get(ClusterKeys.moveAbort("g")) == nil }
        XCTAssertEqual(host.aborts, 0)
    }
}
