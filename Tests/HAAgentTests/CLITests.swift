import AgentAPI
import Foundation
import LabSupport
import XCTest
@testable import HAAgent

/// The `vigil` CLI as an operator runs it, against a whole agent in this process.
final class CLITests: XCTestCase {
    private var vigil: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vigil").path
    }

    private func run(_ h: AgentHarness, _ arguments: String...) throws -> (status: Int32, out: String, err: String) {
        try LabScript.execute([vigil] + arguments + ["--socket", h.configuration.api.socket])
    }

    func testStatusVMAddAndErrorsThroughTheCLI() async throws {
        guard FileManager.default.isExecutableFile(atPath: vigil) else { return XCTFail("no vigil binary at \(vigil): run swift build first") }
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = "cli-\(UUID().uuidString.prefix(6).lowercased())"
        let checked = try run(h, "vm", "add", vm, "--xml", try h.writeDomain(vm), "--check")
        XCTAssertEqual(checked.status, 0, checked.err)
        XCTAssertEqual(checked.out.trimmingCharacters(in: .whitespacesAndNewlines),
                       "VM \(vm) passes every check (its disks and backing files on shared storage; possible owners solo can host it); it would join group \(vm)")
        let notStored = try await h.status().groups.map(\.name)
        XCTAssertFalse(notStored.contains(vm), "--check makes nothing highly available")
        let added = try run(h, "vm", "add", vm, "--xml", try h.writeDomain(vm), "--priority", "high", "--restart", "2/10m")
        XCTAssertEqual(added.status, 0, added.err)
        XCTAssertEqual(added.out.trimmingCharacters(in: .whitespacesAndNewlines), "VM \(vm) is highly available in group \(vm)")
        try await h.waitUntil("\(vm) online") { try await h.status().groups.first { $0.name == vm }?.status == "online" }

        let json = try run(h, "status", "--output", "json")
        XCTAssertEqual(json.status, 0, json.err)
        let status = try JSONDecoder().decode(ClusterStatus.self, from: Data(json.out.utf8))
        XCTAssertEqual(status.groups.first { $0.name == vm }?.priority, "high")
        let text = try run(h, "status")
        XCTAssertTrue(text.out.contains("leader: solo") && text.out.contains(vm), text.out)

        let shown = try run(h, "group", "policy", vm)
        XCTAssertEqual(shown.out.trimmingCharacters(in: .whitespacesAndNewlines),
                       "group \(vm): priority=high preferred=none possible=all restart=2/10m failover=2/6h failback=never anti-affinity=none")
        let changed = try run(h, "group", "policy", vm, "--failback", "window:1-5", "--preferred", "solo", "--anti-affinity", "sql,web")
        XCTAssertEqual(changed.status, 0, changed.err)
        XCTAssertTrue(changed.out.contains("preferred=solo possible=all restart=2/10m failover=2/6h failback=window:1-5 anti-affinity=sql,web"), changed.out)
        let cleared = try run(h, "group", "policy", vm, "--preferred", "none", "--anti-affinity", "none")
        XCTAssertTrue(cleared.out.contains("preferred=none") && cleared.out.contains("anti-affinity=none"), cleared.out)
        let bad = try run(h, "group", "policy", vm, "--failover", "often")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("bad threshold 'often'"), bad.err)

        let missing = try run(h, "group", "move", "nosuch")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("no group named nosuch"), missing.err)
        let badAction = try run(h, "node", "explode", "solo")
        XCTAssertNotEqual(badAction.status, 0)
        XCTAssertTrue(badAction.err.contains("unknown action 'explode'"), badAction.err)
        let capacity = try run(h, "capacity", "--failures", "1")
        XCTAssertTrue(capacity.out.hasPrefix("no: losing 1 node(s)"), "one node cannot lose a node: \(capacity.out)")
        let noAgent = try LabScript.execute([vigil, "status", "--socket", h.directory + "/nothing.sock"])
        XCTAssertTrue(noAgent.err.contains("cannot reach the Vigil agent"), noAgent.err)
        await h.stop()
    }
}
