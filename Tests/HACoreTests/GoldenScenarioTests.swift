import Foundation
import HACore
import HASimulator
import XCTest

/// Runs every `Scenarios/*.scenario` script and diffs its decision log with `*.expected`.
/// `VIGIL_UPDATE_GOLDEN=1 swift test` rewrites the expected logs (review the diff before committing).
final class GoldenScenarioTests: XCTestCase {
    static let sourceDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scenarios")

    func testEveryScenarioMatchesItsExpectedLog() throws {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Scenarios", withExtension: nil))
        let scripts = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".scenario") }.sorted()
        XCTAssertGreaterThanOrEqual(scripts.count, 8, "golden scenarios missing")
        let update = ProcessInfo.processInfo.environment["VIGIL_UPDATE_GOLDEN"] == "1"
        for file in scripts {
            let name = String(file.dropLast(".scenario".count))
            let script = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            var sim = try Simulation(ScenarioScript.parse(script))
            let result = sim.run()
            XCTAssertEqual(result.violations, [], "\(name): invariant violations")
            let actual = result.log.joined(separator: "\n") + "\n"
            let expectedURL = dir.appendingPathComponent(name + ".expected")
            if update {
                try actual.write(to: Self.sourceDir.appendingPathComponent(name + ".expected"), atomically: true, encoding: .utf8)
                continue
            }
            let expected = (try? String(contentsOf: expectedURL, encoding: .utf8)) ?? "(missing \(name).expected)\n"
            if actual != expected {
                XCTFail("\(name): decision log differs from \(name).expected (VIGIL_UPDATE_GOLDEN=1 to accept):\n\(Self.diff(expected, actual))")
            }
        }
    }

    /// The first differing lines, enough to see what changed.
    static func diff(_ a: String, _ b: String) -> String {
        let (la, lb) = (a.split(separator: "\n", omittingEmptySubsequences: false), b.split(separator: "\n", omittingEmptySubsequences: false))
        var out: [String] = []
        for i in 0..<max(la.count, lb.count) where out.count < 12 {
            let (x, y) = (i < la.count ? String(la[i]) : "<none>", i < lb.count ? String(lb[i]) : "<none>")
            if x != y { out.append("line \(i + 1):\n  expected: \(x)\n  actual:   \(y)") }
        }
        return out.joined(separator: "\n")
    }
}
