import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging
import XCTest
@testable import HAAgent

/// A move whose performer's agent died mid-way (kill -9) is closed when that agent starts again:
/// status stops showing it in flight, and a save it may not have finished is never trusted.
final class InterruptedMoveTests: XCTestCase {
    func testAStartingAgentEndsTheMovesItWasPerformingAndNoOthers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-moves-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: nil)
        let at = Timestamp(milliseconds: 1_000)
        let records = [
            MoveRecord(id: "m1", group: "live-from-h1", from: "h1", to: "h2", method: .live, phase: .migrating, at: at),
            MoveRecord(id: "m2", group: "saving-on-h1", from: "h1", to: "h2", method: .quick, phase: .saving, at: at),
            MoveRecord(id: "m3", group: "restoring-on-h1", from: "h2", to: "h1", method: .quick, phase: .restoring, at: at),
            MoveRecord(id: "m4", group: "saved-for-h1", from: "h2", to: "h1", method: .quick, phase: .saved, at: at),
            MoveRecord(id: "m5", group: "live-from-h2", from: "h2", to: "h1", method: .live, phase: .migrating, at: at),
            MoveRecord(id: "m6", group: "done-from-h1", from: "h1", to: "h2", method: .live, phase: .done, at: at),
        ]
        for r in records { _ = try await store.put(ClusterKeys.move(r.group), try StoreCoding.encode(r)) }
        var logger = Logger(label: "interrupted-move-test")
        logger.logLevel = .critical

        await MoveJournal.closeInterrupted(on: "h1", in: store, logger: logger)

        let after = try await store.read(ClusterKeys.moves).values
        let phases = Dictionary(uniqueKeysWithValues: after.map { ($0.group.rawValue, $0.phase) })
        XCTAssertEqual(phases, ["live-from-h1": .failed, "saving-on-h1": .failed, "restoring-on-h1": .failed,
                                "saved-for-h1": .saved, "live-from-h2": .migrating, "done-from-h1": .done],
                       "only the phases h1 was performing end; a saved move waits for its target, another host's migration runs on")
        let closed = try XCTUnwrap(after.first { $0.group == "saving-on-h1" })
        XCTAssertEqual(closed.steps.last?.what, "interrupted")
        XCTAssertTrue(closed.steps.last?.reason.contains("saving phase") == true, closed.steps.last?.reason ?? "no step")
        XCTAssertNotNil(GroupRunner.untrusted("/img", of: "vm", in: closed, moveID: "m2"), "an interrupted save is never restored")
        let decisions = try await store.list(prefix: ClusterKeys.decisions.prefix).kvs.count
        XCTAssertEqual(decisions, 3, "each closed move is a decision record (vigil events)")
    }
}
