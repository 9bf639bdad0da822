import AgentAPI
import Foundation
import LabSupport
import XCTest

/// The web console in the lab: headless Chromium inside h1's namespaces, on h1's console over the lab
/// network with TLS, clicks a drain; the guests move away live and the event feed shows each move
/// without a reload (console_browser.py --lab-drain).
extension AgentLabTests {
    func testADrainClickedInTheConsoleMovesTheGuestsAndTheFeedShowsItLive() async throws {
        var settings = LabAgentSettings()
        settings.tcpAPI = true
        try await withCluster(agents: settings) { c in
            let vms = ["vm1", "vm2"]
            try await c.addOnline(vms, possibleOwners: ["h2", "h3"])
            let host = c.runningHosts(of: "vm1").first!
            let moving = vms.filter { c.runningHosts(of: $0) == [host] }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let script = root.appendingPathComponent("Tests/HAAgentTests/Console/console_browser.py").path
            let screenshots = root.appendingPathComponent(".build/console-screenshots").path
            let h1 = try c.lab.host("h1").address
            // Debian's python3 (python3-selenium is installed for it), whatever python3 comes first on PATH.
            let out = try await c.lab.exec("h1", ["/bin/sh", "-c",
                "/usr/bin/python3 \(script) --url https://\(h1):7480 --secret-file \(c.secretFile) --lab-drain \(host) "
                + "--lab-vms \(moving.joined(separator: ",")) --screenshots \(screenshots) 2>&1; echo \"rc=$?\""])
            print(out)
            XCTAssertTrue(out.hasSuffix("rc=0\n"), out)
            for vm in moving {
                XCTAssertEqual(c.runningHosts(of: vm).count, 1, "\(vm) runs once")
                XCTAssertNotEqual(c.runningHosts(of: vm), [host], "\(vm) left \(host)")
            }
            let resumed = try await c.call("h1", .POST, AgentAPI.node(host, .resume))
            XCTAssertEqual(resumed.status, 202)
        }
    }
}
