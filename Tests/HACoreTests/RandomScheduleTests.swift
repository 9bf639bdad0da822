import Foundation
import HACore
import HASimulator
import XCTest

/// Runs many seeded random fault schedules through the simulator; every invariant must hold.
/// A failing seed prints its schedule as a scenario script (save it under Scenarios/ to replay).
final class RandomScheduleTests: XCTestCase {
    func testThousandRandomSchedulesKeepEveryInvariant() throws {
        let count = Int(ProcessInfo.processInfo.environment["VIGIL_SIM_SCHEDULES"] ?? "") ?? 1000
        let first = UInt64(ProcessInfo.processInfo.environment["VIGIL_SIM_FIRST_SEED"] ?? "") ?? 1
        var failures = 0
        var steps = 0
        for seed in first..<(first + UInt64(count)) {
            let scenario = RandomScenario.make(seed: seed)
            var sim = try Simulation(scenario, logging: false)
            let result = sim.run()
            steps += result.steps
            guard !result.violations.isEmpty else { continue }
            failures += 1
            if failures <= 3 {
                var replay = try Simulation(scenario, logging: true)
                let log = replay.run().log
                XCTFail("""
                    seed \(seed): \(result.violations.count) violation(s):
                    \(result.violations.prefix(5).joined(separator: "\n"))
                    --- schedule (to replay: save as Tests/HACoreTests/Scenarios/<name>.scenario, run with VIGIL_UPDATE_GOLDEN=1) ---
                    \(ScenarioScript.render(scenario))--- last log lines ---
                    \(log.suffix(Int(ProcessInfo.processInfo.environment["VIGIL_SIM_LOG_LINES"] ?? "") ?? 60).joined(separator: "\n"))
                    """)
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(count) schedules violated invariants")
        print("random schedules: \(count) run, \(steps) steps, \(failures) failing")
    }
}
