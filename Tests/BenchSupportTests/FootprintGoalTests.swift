import BenchSupport
import XCTest

/// The footprint goal of issue 15 for vigild.
final class FootprintGoalTests: XCTestCase {
    func testTheGoalNeedsBothMemoryAndIdleCPU() {
        let goal = FootprintGoal()
        XCTAssertTrue(goal.met(residentMiB: 40, idleCPUPercent: 1))
        XCTAssertFalse(goal.met(residentMiB: 40.1, idleCPUPercent: 0.2))
        XCTAssertFalse(goal.met(residentMiB: 20, idleCPUPercent: 1.01))
    }
}
