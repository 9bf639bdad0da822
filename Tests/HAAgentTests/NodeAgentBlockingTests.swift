import ClusterSchema
import Foundation
import HACoordination
import HACore
import Libvirt
import Logging
import Synchronization
import XCTest
@testable import HAAgent

/// A hypervisor whose calls block their thread for seconds (a busy or hung libvirtd) holds neither
/// the node agent's actor nor Swift concurrency's cooperative pool.
final class NodeAgentBlockingTests: XCTestCase {
    func testLibvirtCallsBlockedForSecondsHoldNeitherTheAgentNorThePool() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-blocking-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: nil)
        var configuration = AgentConfiguration(node: "n1", libvirtURI: "test:///default", sharedStorage: directory,
                                               qemuConfPath: directory + "/qemu.conf", logLevel: "critical")
        configuration.health.reconcileIntervalSeconds = 3600
        var logger = Logger(label: "blocking-test")
        logger.logLevel = .critical
        let hypervisor = StallingHypervisor()
        let agent = NodeAgent(node: "n1", store: store, hypervisor: hypervisor, configuration: configuration,
                              metrics: AgentMetrics(), logger: logger)
        // More stops than the pool has threads, and a restart whose first call asks for the domain's state.
        let stops = 2 * cores
        for i in 0...stops {
            let group = GroupID("g\(i)")
            let spec = GroupSpec(definition: try GroupDefinition(id: group, resources: [.vm("vm\(i)", memoryMiB: 128, vcpus: 1)]))
            _ = try await store.put(ClusterKeys.group(group), try StoreCoding.encode(spec))
            let task = AgentTask(group: group, node: "n1", step: i < stops ? .takeOffline : .restart(ResourceID("vm\(i)")), reason: "test")
            _ = try await store.put(ClusterKeys.task("n1", group), try StoreCoding.encode(task))
        }
        // If nothing else gets to run while the calls block, this thread releases them after 8 s so
        // that the test fails instead of hanging.
        let watchdog = Thread { if !hypervisor.waitReleased(timeout: 8) { hypervisor.release() } }
        watchdog.start()
        let running = Task { try await agent.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while hypervisor.entered < stops + 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertGreaterThanOrEqual(hypervisor.entered, stops + 1, "every task made its first libvirt call")
        let phase = await agent.instance.phase(of: GroupID("g\(stops)"))  // the actor answers
        let answeredWhileBlocked = !hypervisor.isReleased
        hypervisor.release()
        XCTAssertTrue(answeredWhileBlocked, "the agent's actor and a plain task ran while \(stops + 1) libvirt calls blocked")
        guard case .performing(let task, _, _) = phase else { return XCTFail("the restart runs: \(phase)") }
        XCTAssertEqual(task.step, .restart(ResourceID("vm\(stops)")))
        running.cancel()
        _ = await running.result
        await store.close()
    }
}

/// Every call that asks libvirtd (the host check's ping included) blocks its thread until released (at most 10 s), as with a hung libvirtd.
private final class StallingHypervisor: Hypervisor, @unchecked Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let state = Mutex((entered: 0, released: false))

    var entered: Int { state.withLock { $0.entered } }
    var isReleased: Bool { state.withLock { $0.released } }

    func release() {
        let first = state.withLock { s in defer { s.released = true }; return !s.released }
        if first { for _ in 0..<1000 { gate.signal() } }
    }

    /// Blocks the calling thread until released or `timeout` seconds pass; whether it was released.
    func waitReleased(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline { if isReleased { return true }; usleep(20_000) }
        return isReleased
    }

    /// Blocks until released; `counted` calls are the tasks' own (the host check's ping is not).
    private func stall(counted: Bool = true) {
        let released = state.withLock { s in if counted { s.entered += 1 }; return s.released }
        if !released { _ = gate.wait(timeout: .now() + 10) }
    }

    func capabilities() throws -> String { throw VMResourceError.pausedOnOwner("none: a stalling test host") }
    func domains() throws -> [HostedDomain] { stall(); return [] }
    func state(of name: String) throws -> DomainState? { stall(); return nil }
    func define(xml: String) throws -> String { stall(); return "" }
    func start(_ name: String) throws { stall() }
    func stop(_ name: String, deadline: Duration) throws -> ShutdownOutcome { stall(); return .alreadyOff }
    func destroy(_ name: String) throws { stall() }
    func resume(_ name: String) throws { stall() }
    func undefine(_ name: String) throws { stall() }
    func persistentXML(of name: String) throws -> String { stall(); return "" }
    func save(_ name: String, to path: String) throws { stall() }
    func restore(from path: String, xml: String) throws { stall() }
    func liveMigrate(_ name: String, to destinationURI: String, options: LiveMigrationOptions) throws { stall() }
    func migrationProgress(of name: String) throws -> MigrationProgress? { stall(); return nil }
    func abortMigration(_ name: String) throws { stall() }
    func startPostCopy(_ name: String) throws { stall() }
    func hasGuestAgentChannel(_ name: String) throws -> Bool { stall(); return false }
    func pingGuestAgent(_ name: String, timeoutSeconds: Int32) throws { stall() }
    func events() throws -> AsyncStream<DomainEvent> { AsyncStream { _ in } }
    /// The agent's host check hangs too, but is not one of the tasks' calls the test counts.
    func ping() throws { stall(counted: false) }
}
