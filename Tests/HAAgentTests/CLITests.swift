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
        let added = try run(h, "vm", "add", vm, "--xml", try h.writeDomain(vm), "--priority", "high")
        XCTAssertEqual(added.status, 0, added.err)
        XCTAssertEqual(added.out.trimmingCharacters(in: .whitespacesAndNewlines), "VM \(vm) is highly available in group \(vm)")
        try await h.waitUntil("\(vm) online") { try await h.status().groups.first { $0.name == vm }?.status == "online" }

        let json = try run(h, "status", "--output", "json")
        XCTAssertEqual(json.status, 0, json.err)
        let status = try JSONDecoder().decode(ClusterStatus.self, from: Data(json.out.utf8))
        XCTAssertEqual(status.groups.first { $0.name == vm }?.priority, "high")
        let text = try run(h, "status")
        XCTAssertTrue(text.out.contains("leader: solo") && text.out.contains(vm), text.out)

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
