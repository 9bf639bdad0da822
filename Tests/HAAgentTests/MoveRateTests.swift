import ClusterSchema
import HACore
import XCTest

/// The rates a drain's dry run estimates by, measured on the moves the store records.
final class MoveRateTests: XCTestCase {
    private func record(_ group: GroupID, _ method: MoveMethod, _ phase: MoveRecord.Phase, seconds: Int64) -> MoveRecord {
        var r = MoveRecord(id: "m-\(group)", group: group, from: "h1", to: "h2", method: method, phase: phase, at: Timestamp(milliseconds: 1_000))
        r.updatedAt = Timestamp(milliseconds: 1_000 + seconds * 1000)
        return r
    }

    func testOnlyFinishedMovesOfKnownGroupsCountPerMethod() {
        let records = [record("a", .live, .done, seconds: 4), record("b", .live, .done, seconds: 12),
                       record("c", .live, .failed, seconds: 1), record("d", .live, .aborted, seconds: 1),
                       record("e", .quick, .done, seconds: 8), record("gone", .live, .done, seconds: 1)]
        let memory: [GroupID: Int] = ["a": 1024, "b": 3072, "c": 1024, "d": 1024, "e": 2048]
        let rates = MoveRecord.rates(records) { memory[$0] }
        XCTAssertEqual(rates[.live]?.mebibytesPerSecond, 4096 / 16, "4 GiB in 16 s: failed, aborted and unknown groups' moves do not count")
        XCTAssertEqual(rates[.live]?.samples, 2)
        XCTAssertEqual(rates[.quick]?.mebibytesPerSecond, 256)
        XCTAssertNil(rates[.cold], "none measured")
        XCTAssertNil(record("a", .live, .migrating, seconds: 3).secondsTaken, "a move under way has taken no final time yet")
    }

    func testAnAssumedRateSaysSo() {
        XCTAssertTrue(MoveRate.assumed.isAssumed)
        XCTAssertEqual(MoveRate.assumed.estimate(memoryMiB: 1000), .seconds(10))
        XCTAssertFalse(MoveRate(moves: [(1024, 2)])!.isAssumed)
    }
}
