import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging
import XCTest
@testable import HAAgent

/// What `fenceNode` proves: nothing is killed while the host's libvirtd answers; a fence device's "off"
/// frees the node and revokes its lease; a watchdog proves death only once the lease is lost.
final class NodeFencerTests: XCTestCase {
    private var directory = ""
    private var store: EmbeddedStore!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fencer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: nil)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A host record: libvirtd at `uri`, an armed watchdog of `watchdog` seconds (nil: none).
    private func publish(_ node: NodeID, uri: String, watchdog: Double?) async throws {
        let record = AgentRecord(node: node, migrationURI: uri, watchdogResetSeconds: watchdog)
        _ = try await store.put(ClusterKeys.agent(node), try StoreCoding.encode(record))
    }

    /// A fence agent that always confirms "off" (and records that it ran).
    private func confirmingAgent() throws -> String {
        let path = directory + "/fence_ok"
        try "#!/bin/sh\ncat >/dev/null\ntouch '\(directory)/ran'\nexit 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    private func fencer(_ fencing: FencingSettings = FencingSettings()) -> NodeFencer {
        NodeFencer(store: store, fencing: fencing, watchdogMargin: .milliseconds(10), logger: Logger(label: "test"))
    }

    func testAHostWhoseLibvirtdAnswersIsNeverFenced() async throws {
        try await publish("h2", uri: "test:///default", watchdog: nil)
        let fencing = FencingSettings(nodes: ["h2": [[FenceDevice(agent: try confirmingAgent())]]])
        let outcome = await fencer(fencing).fence("h2", leaseLost: true)
        guard case .hostAlive = outcome else { return XCTFail("\(outcome)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/ran"), "the fence device was not even called")
    }

    func testAConfirmedPowerOffRevokesTheNodesLease() async throws {
        try await publish("h2", uri: "qemu+tcp://127.0.0.1:1/system", watchdog: nil)  // nothing listens there
        let lease = try await store.grantLease(ttlSeconds: 60)
        _ = try await store.put(ClusterKeys.node("h2"), Array("{}".utf8), lease: lease.id)
        let fencing = FencingSettings(nodes: ["h2": [[FenceDevice(agent: try confirmingAgent())]]])
        let outcome = await fencer(fencing).fence("h2", leaseLost: false)
        guard case .poweredOff = outcome else { return XCTFail("\(outcome)") }
        let record = try await store.get(ClusterKeys.node("h2"))
        XCTAssertNil(record, "its lease was revoked: the record (and a leader key on it) is gone")
    }

    func testAWatchdogProvesDeathOnlyOnceTheLeaseIsLost() async throws {
        try await publish("h2", uri: "qemu+tcp://127.0.0.1:1/system", watchdog: 0.05)
        let suspected = await fencer().fence("h2", leaseLost: false)
        guard case .unproven(let why) = suspected else { return XCTFail("\(suspected)") }
        XCTAssertTrue(why.contains("watchdog proves nothing while its lease runs"), why)
        let lost = await fencer().fence("h2", leaseLost: true)
        guard case .watchdogExpired = lost else { return XCTFail("\(lost)") }
    }

    func testWithoutDeviceOrWatchdogNothingIsProved() async throws {
        try await publish("h2", uri: "qemu+tcp://127.0.0.1:1/system", watchdog: nil)
        let outcome = await fencer().fence("h2", leaseLost: true)
        guard case .unproven(let why) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(why.contains("no fence device configured") && why.contains("no armed watchdog"), why)
    }
}
