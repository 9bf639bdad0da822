import Foundation
import XCTest
@testable import HAAgent

/// Fence devices with the fence-agents protocol, against fake agents (shell scripts in a temporary
/// directory that record their standard input and arguments).
final class FenceTopologyTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fence-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes an agent that appends its standard input (then `---`) to NAME.log and its argument
    /// count to NAME.args, then runs `body`.
    private func agent(_ name: String, _ body: String) throws -> String {
        let path = "\(directory)/\(name)"
        try """
        #!/bin/sh
        cat >> '\(directory)/\(name).log'
        echo --- >> '\(directory)/\(name).log'
        echo "args=$#" >> '\(directory)/\(name).args'
        \(body)

        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// What each run of the agent read on standard input.
    private func inputs(of name: String) -> [String] {
        let log = (try? String(contentsOfFile: "\(directory)/\(name).log", encoding: .utf8)) ?? ""
        return log.components(separatedBy: "---\n").dropLast()
    }

    private func steps(_ attempts: [FenceAttempt]) -> [[Int]] { attempts.map { [$0.level, $0.device, $0.number] } }

    func testProtocolLinesOnStandardInputAndNothingOnTheCommandLine() async throws {
        let ipmi = FenceDevice(agent: try agent("ipmi", "exit 0"),
                               options: ["ip": "10.0.0.102", "username": "admin", "password": "s3cret=x", "lanplus": "1"])
        let result = await FenceTopology(levels: [[ipmi]]).fence(node: "h2")
        XCTAssertTrue(result.isConfirmed, "\(result)")
        XCTAssertEqual(inputs(of: "ipmi"), ["action=off\nplug=h2\nport=h2\nnodename=h2\nip=10.0.0.102\nlanplus=1\npassword=s3cret=x\nusername=admin\n"])
        XCTAssertEqual(try String(contentsOfFile: "\(directory)/ipmi.args", encoding: .utf8), "args=0\n", "options go on stdin only")
        XCTAssertFalse("\(result)".contains("s3cret"), "reports never show options: \(result)")

        let apc = FenceDevice(agent: try agent("apc", "exit 0"), options: ["ip": "10.0.0.9"], plug: "7")
        _ = await FenceTopology(levels: [[apc]]).fence(node: "h2")
        XCTAssertEqual(inputs(of: "apc"), ["action=off\nplug=7\nport=7\nnodename=h2\nip=10.0.0.9\n"], "the plug override; nodename stays the node")
    }

    func testLevelOneConfirms() async throws {
        let first = FenceDevice(agent: try agent("bmc", "exit 0"))
        let second = FenceDevice(agent: try agent("pdu", "exit 0"))
        let result = await FenceTopology(levels: [[first], [second]]).fence(node: "h1")
        guard case .confirmed(let confirmation) = result else { return XCTFail("\(result)") }
        print("[fence] level 1 confirmed in \(confirmation.seconds) s: \(result)")
        XCTAssertEqual(confirmation.level, 1)
        XCTAssertEqual(confirmation.devices, ["bmc"])
        XCTAssertEqual(steps(confirmation.attempts), [[1, 1, 1]])
        XCTAssertEqual(inputs(of: "pdu"), [], "level 2 is not tried once level 1 confirmed")
    }

    func testLevelOneFailingWithRetriesThenLevelTwoConfirms() async throws {
        let broken = FenceDevice(agent: try agent("bmc", "echo 'Connecting...' >&2; echo 'Failed: Unable to connect/login to fencing device' >&2; exit 1"), retries: 1)
        let outletA = FenceDevice(agent: try agent("pdu-a", "exit 0"), plug: "3")
        let outletB = FenceDevice(agent: try agent("pdu-b", "exit 0"), plug: "4")
        let result = await FenceTopology(levels: [[broken], [outletA, outletB]]).fence(node: "h1")
        guard case .confirmed(let confirmation) = result else { return XCTFail("\(result)") }
        print("[fence] level 2 confirmed in \(confirmation.seconds) s: \(result)")
        XCTAssertEqual(confirmation.level, 2)
        XCTAssertEqual(confirmation.devices, ["pdu-a (plug 3)", "pdu-b (plug 4)"])
        XCTAssertEqual(steps(confirmation.attempts), [[1, 1, 1], [1, 1, 2], [2, 1, 1], [2, 2, 1]])
        XCTAssertEqual(inputs(of: "bmc").count, 2, "one attempt and one retry")
        XCTAssertEqual(confirmation.attempts[0].outcome.ending, .exited(1))
        XCTAssertEqual(confirmation.attempts[0].outcome.lastErrorLine, "Failed: Unable to connect/login to fencing device")
        XCTAssertTrue("\(result)".hasSuffix("after 2 failed attempts"), "\(result)")
    }

    func testHangingAgentIsKilledWithItsProcessGroupAndTheNextLevelIsUsed() async throws {
        // The agent leaves a child holding its output open, then hangs.
        let hang = FenceDevice(agent: try agent("hang", "sleep 300 & echo $! > '\(directory)/child.pid'; echo $$ > '\(directory)/agent.pid'; wait"),
                               timeoutSeconds: 1, retries: 0)
        let good = FenceDevice(agent: try agent("good", "exit 0"))
        let result = await FenceTopology(levels: [[hang], [good]]).fence(node: "h3")
        guard case .confirmed(let confirmation) = result else { return XCTFail("\(result)") }
        let killed = confirmation.attempts[0].outcome
        print("[fence] hung agent killed after \(killed.seconds) s (limit 1 s); level 2 confirmed after \(confirmation.seconds) s in all")
        XCTAssertEqual(killed.ending, .timedOut(seconds: 1))
        XCTAssertEqual(confirmation.level, 2)
        let agentPID = try XCTUnwrap(pid_t(try String(contentsOfFile: "\(directory)/agent.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let childPID = try XCTUnwrap(pid_t(try String(contentsOfFile: "\(directory)/child.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(FenceAgentRunner.liveMembers(ofGroup: agentPID), [], "the agent's process group must be gone")
        XCTAssertFalse(Self.isLive(childPID), "the agent's child (sleep 300) must be killed with it")
    }

    func testAllLevelsFailingListsEveryAttempt() async throws {
        let flaky = FenceDevice(agent: try agent("bmc", "echo 'Failed: timed out waiting to power OFF' >&2; exit 1"), retries: 2)
        let outletA = FenceDevice(agent: try agent("pdu-a", "exit 0"), plug: "3", retries: 0)
        let outletB = FenceDevice(agent: try agent("pdu-b", "exit 5"), plug: "4", retries: 0)
        let missing = FenceDevice(agent: "\(directory)/no-such-agent")
        let result = await FenceTopology(levels: [[flaky], [outletA, outletB], [missing]]).fence(node: "h2")
        guard case .failed(let failure) = result else { return XCTFail("\(result)") }
        print("[fence] all levels failed after \(failure.seconds) s: \(result)")
        XCTAssertEqual(steps(failure.attempts), [[1, 1, 1], [1, 1, 2], [1, 1, 3], [2, 1, 1], [2, 2, 1], [3, 1, 1], [3, 1, 2]])
        XCTAssertEqual(failure.attempts.map(\.succeeded), [false, false, false, true, false, false, false])
        XCTAssertEqual(failure.attempts[4].outcome.ending, .exited(5))
        XCTAssertEqual(failure.attempts[5].outcome.ending, .notStarted(.notExecutable(agent: "\(directory)/no-such-agent")))
        let text = "\(result)"
        XCTAssertTrue(text.hasPrefix("fencing h2 failed after "), text)
        for part in ["level 1 device 1 bmc attempt 3: failed, exit status 1", "Failed: timed out waiting to power OFF",
                     "level 2 device 1 pdu-a (plug 3) attempt 1: off", "level 2 device 2 pdu-b (plug 4) attempt 1: failed, exit status 5",
                     "level 3 device 1 no-such-agent attempt 2: failed, not started"] {
            XCTAssertTrue(text.contains(part), "'\(part)' missing from \(text)")
        }
    }

    func testNoDeviceIsAFailure() async {
        let result = await FenceTopology(levels: []).fence(node: "h1")
        XCTAssertFalse(result.isConfirmed)
        XCTAssertTrue("\(result)".contains("no fence device configured"), "\(result)")
    }

    func testStatusMapsExitStatusZeroToOnTwoToOffAndUsesTheFirstDeviceAnswering() async throws {
        let on = FenceDevice(agent: try agent("on", "exit 0")), off = FenceDevice(agent: try agent("off", "exit 2"))
        let error = FenceDevice(agent: try agent("error", "exit 1"))
        let onStatus = await FenceTopology(levels: [[on]]).status(node: "h1")
        XCTAssertEqual(onStatus, .on)
        XCTAssertEqual(inputs(of: "on"), ["action=status\nplug=h1\nport=h1\nnodename=h1\n"])
        let offStatus = await FenceTopology(levels: [[off]]).status(node: "h1")
        XCTAssertEqual(offStatus, .off)
        let afterError = await FenceTopology(levels: [[error], [off, on]]).status(node: "h1")
        XCTAssertEqual(afterError, .off, "an erroring device is skipped; the first answer counts")
        XCTAssertEqual(inputs(of: "on").count, 1, "no device is asked after the first answer")
        let unknown = await FenceTopology(levels: [[error]]).status(node: "h1")
        XCTAssertEqual(unknown, .unknown)
    }

    func testMonitorChecksEveryDeviceWithoutAPlug() async throws {
        let good = FenceDevice(agent: try agent("good", "exit 0"), options: ["ip": "10.0.0.1"])
        let bad = FenceDevice(agent: try agent("bad", "echo 'Failed: Unable to connect' >&2; exit 1"))
        let checks = await FenceTopology(levels: [[good], [bad]]).monitor()
        XCTAssertEqual(checks.map(\.reachable), [true, false])
        XCTAssertEqual(checks.map { [$0.level, $0.device] }, [[1, 1], [2, 1]])
        XCTAssertEqual(inputs(of: "good"), ["action=monitor\nip=10.0.0.1\n"])
        XCTAssertTrue("\(checks[1])".contains("unreachable, exit status 1") && "\(checks[1])".contains("Unable to connect"), "\(checks[1])")
    }

    func testOutputIsBoundedAndAMalformedOptionNeverRuns() async throws {
        let chatty = FenceDevice(agent: try agent("chatty", "head -c 300000 /dev/zero | tr '\\0' x; exit 0"))
        let outcome = await FenceAgentRunner().run(.list, device: chatty, node: nil)
        XCTAssertEqual(outcome.ending, .exited(0), "an agent writing more than the bound must not block")
        XCTAssertEqual(outcome.output.utf8.count, FenceAgentRunner.outputLimit)

        let injected = FenceDevice(agent: try agent("injected", "exit 0"), options: ["ip": "10.0.0.1\naction=on"])
        let refused = await FenceAgentRunner().run(.off, device: injected, node: "h1")
        XCTAssertEqual(refused.ending, .notStarted(.badOption(key: "ip")))
        XCTAssertEqual(inputs(of: "injected"), [])
    }

    func testPlanOrdersLevelsDevicesAndRetries() {
        let plan = FencePlan(allowedAttempts: [[2], [1, 1]])
        func attempt(_ level: Int, _ device: Int, _ number: Int, ok: Bool) -> FenceAttempt {
            FenceAttempt(level: level, device: device, number: number, deviceDescription: "d",
                         outcome: FenceAgentOutcome(ending: .exited(ok ? 0 : 1)))
        }
        XCTAssertEqual(plan.next(after: []), .attempt(level: 1, device: 1, number: 1))
        XCTAssertEqual(plan.next(after: [attempt(1, 1, 1, ok: true)]), .confirmed(level: 1))
        let firstFailed = [attempt(1, 1, 1, ok: false)]
        XCTAssertEqual(plan.next(after: firstFailed), .attempt(level: 1, device: 1, number: 2))
        let levelOneFailed = firstFailed + [attempt(1, 1, 2, ok: false)]
        XCTAssertEqual(plan.next(after: levelOneFailed), .attempt(level: 2, device: 1, number: 1))
        XCTAssertEqual(plan.next(after: levelOneFailed + [attempt(2, 1, 1, ok: true)]), .attempt(level: 2, device: 2, number: 1))
        XCTAssertEqual(plan.next(after: levelOneFailed + [attempt(2, 1, 1, ok: true), attempt(2, 2, 1, ok: true)]), .confirmed(level: 2))
        XCTAssertEqual(plan.next(after: levelOneFailed + [attempt(2, 1, 1, ok: false)]), .exhausted, "level 2 fails at its first failed device")
        XCTAssertEqual(FencePlan(allowedAttempts: [[], [1]]).next(after: []), .attempt(level: 2, device: 1, number: 1), "an empty level never confirms")
        XCTAssertEqual(FencePlan(levels: [[FenceDevice(agent: "/a", retries: 3)]]).allowedAttempts, [[4]])
    }

    private static func isLive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }
}
