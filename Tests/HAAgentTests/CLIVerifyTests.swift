import AgentAPI
import Foundation
import LabSupport
import XCTest
@testable import HAAgent

/// `vigil verify` against a whole agent in this process (one node, `solo`): its refusals in text and
/// JSON with their exit statuses, and that a refusal stores nothing. The walk over several owners is
/// covered by HACore's VerificationTests and the lab's OperatorLabTests.
final class CLIVerifyTests: XCTestCase {
    private var vigil: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vigil").path
    }

    private func run(_ h: AgentHarness, _ arguments: String...) throws -> (status: Int32, out: String, err: String) {
        try LabScript.execute([vigil] + arguments + ["--socket", h.configuration.api.socket])
    }

    func testVerifyRefusalsExitStatusesAndNothingStored() async throws {
        guard FileManager.default.isExecutableFile(atPath: vigil) else { return XCTFail("no vigil binary at \(vigil): run swift build first") }
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let help = try LabScript.execute([vigil, "--help"])
        XCTAssertTrue(help.out.contains("verify"), help.out)

        let unknown = try run(h, "verify", "nosuch")
        XCTAssertEqual(unknown.status, 1, unknown.err)
        XCTAssertTrue(unknown.err.contains("no group named nosuch"), unknown.err)

        let vm = "vf-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        let added = try run(h, "vm", "add", vm, "--xml", try h.writeDomain(vm))
        XCTAssertEqual(added.status, 0, added.err)
        try await h.waitUntil("\(vm) online") { try await h.status().group(vm)?.status == "online" }

        let alone = try run(h, "verify", vm)
        XCTAssertEqual(alone.status, 1, "a refused verify: exit status 1; \(alone.out) \(alone.err)")
        XCTAssertTrue(alone.err.contains("cannot verify \(vm): \(vm) it has no possible owner other than solo to move to"), alone.err)
        let json = try run(h, "verify", vm, "--output", "json", "--no-wait")
        XCTAssertEqual(json.status, 1)
        XCTAssertTrue(json.err.contains("no possible owner other than solo"), json.err)
        let abort = try run(h, "verify", vm, "--abort")
        XCTAssertEqual(abort.status, 1)
        XCTAssertTrue(abort.err.contains("no verification of \(vm) is under way"), abort.err)
        let afterRefusals = try await h.status()
        XCTAssertNil(afterRefusals.group(vm)?.verification, "a refused verify records nothing")
        let api = try await h.call(.POST, AgentAPI.verify(vm))
        XCTAssertEqual(api.status, 400, "the API refuses with a 4xx naming the reason")
        XCTAssertTrue(String(decoding: api.body, as: UTF8.self).contains("no possible owner other than solo"))
        let page = try JSONDecoder().decode(DecisionPage.self, from: try await h.call(.GET, AgentAPI.events(group: vm, limit: 100)).body)
        XCTAssertFalse(page.events.contains { $0.trigger.hasPrefix("verify-requested") }, "refused before the leader saw it")

        // Stopped: not online, refused naming that.
        let stopped = try run(h, "group", "stop", vm)
        XCTAssertEqual(stopped.status, 0, stopped.err)
        let notOnline = try run(h, "verify", vm)
        XCTAssertEqual(notOnline.status, 1)
        XCTAssertTrue(notOnline.err.contains("\(vm) is not online"), notOnline.err)
        await h.stop()
    }
}
