import HACore
import HASimulator
import XCTest

/// The scenario language: random scenarios render to scripts that parse back identically; errors name the line.
final class ScenarioScriptTests: XCTestCase {
    func testRenderedRandomScenariosParseBackIdentically() throws {
        for seed in UInt64(1)...50 {
            let s = RandomScenario.make(seed: seed)
            XCTAssertEqual(try ScenarioScript.parse(ScenarioScript.render(s)), s, "seed \(seed)")
        }
    }

    func testBadLinesAreReportedWithTheirNumber() {
        XCTAssertThrowsError(try ScenarioScript.parse("node n1\nat 5x crash n1\n")) {
            XCTAssertEqual("\($0)", "scenario line 2: bad time '5x' (use e.g. 30s, 15m, 6h)")
        }
        XCTAssertThrowsError(try ScenarioScript.parse("explode\n")) {
            XCTAssertEqual("\($0)", "scenario line 1: unknown command explode")
        }
    }

    func testTheSameSeedGivesTheSameRun() throws {
        var a = try Simulation(RandomScenario.make(seed: 7), settleTime: .minutes(15))
        var b = try Simulation(RandomScenario.make(seed: 7), settleTime: .minutes(15))
        XCTAssertEqual(a.run().log, b.run().log)
    }
}
