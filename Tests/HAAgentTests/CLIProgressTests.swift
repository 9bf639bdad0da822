import AgentAPI
import Foundation
import LabSupport
import XCTest
@testable import HAAgent

/// Progress while `vigil` waits: a bar per VM redrawn in place on a terminal (forced here, since
/// tests run without one), plain lines otherwise; and the bar's own arithmetic.
final class CLIProgressTests: XCTestCase {
    private var vigil: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vigil").path
    }

    private let move = MoveView(id: "m1", group: "web", method: "live", from: "h1", to: "h2", phase: "migrating",
                                startedAt: 0, updatedAt: 1, vms: [], steps: [])

    func testTheBarShowsPhaseBytesAndPercent() {
        let half = MoveView.VM(name: "vm1", dataTotal: 1024 << 20, dataProcessed: 512 << 20)
        XCTAssertEqual(move.progressBar(half, width: 10), "vm1 live h1->h2 migrating [#####.....]  50%  512/1024 MiB")
        let over = MoveView.VM(name: "vm1", dataTotal: 2 << 20, dataProcessed: 3 << 20)
        XCTAssertEqual(move.progressBar(over, width: 4), "vm1 live h1->h2 migrating [####] 100%  3/2 MiB", "a dirty guest can send more than its total")
        XCTAssertEqual(move.progressBar(MoveView.VM(name: "vm2"), width: 4), "vm2 live h1->h2 migrating [....]  no progress sample yet")
    }

    func testWaitsRedrawInPlaceOnATerminalAndPrintPlainLinesOtherwise() async throws {
        guard FileManager.default.isExecutableFile(atPath: vigil) else { return XCTFail("no vigil binary at \(vigil): run swift build first") }
        let h = try AgentHarness()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let vm = "pb-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        let socket = ["--socket", h.configuration.api.socket]
        XCTAssertEqual(try LabScript.execute([vigil, "vm", "add", vm, "--xml", try h.writeDomain(vm)] + socket).status, 0)
        try await h.waitUntil("\(vm) online") { try await h.status().group(vm)?.status == "online" }

        let plain = try LabScript.execute([vigil, "group", "stop", vm] + socket)
        XCTAssertEqual(plain.status, 0, plain.err)
        XCTAssertFalse(plain.out.contains("\u{1B}["), "no terminal: no escape sequences: \(plain.out.debugDescription)")
        XCTAssertTrue(plain.out.contains("  \(vm): "), plain.out)

        let drawn = try LabScript.execute([vigil, "group", "start", vm, "--force-terminal"] + socket)
        XCTAssertEqual(drawn.status, 0, drawn.err)
        XCTAssertTrue(drawn.out.contains("\r\u{1B}[J  \(vm): "), "drawn in place: \(drawn.out.debugDescription)")
        await h.stop()
    }
}
