import AgentAPI
import Foundation
import XCTest
@testable import HAAgent

/// The web console in a real browser: headless Chromium, driven through WebDriver by
/// `console_browser.py`, against a whole in-process agent serving its TLS listener. The script
/// checks every page against the JSON API and every action's effect through it; screenshots of
/// each page at 1280×800 and 390×844 are kept in `.build/console-screenshots`.
final class ConsoleBrowserTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func testTheConsoleShowsWhatTheAPIShowsAndEveryActionWorksInChromium() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return XCTFail("\(tool) is missing: run `make deps` (deploy/install-deps.sh installs chromium, chromium-driver and python3-selenium)")
        }
        let (h, _, listen) = try APITLSTests.agent()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let group = "web-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(group) }
        try await h.addOnline(group)

        // A VM the wizard must refuse: its disk lies outside shared storage.
        let badXML = h.directory + "/shared/vms/bad.xml"
        try """
        <domain type='test'><name>bad-\(group)</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os>
        <devices><disk type='file' device='disk'><source file='/var/tmp/not-shared-\(group).img'/><target dev='vda' bus='virtio'/></disk></devices></domain>
        """.write(toFile: badXML, atomically: true, encoding: .utf8)

        // A VM no host can take: more memory than any has (an error per possible owner).
        let bigVM = "big-\(group)"
        let bigXML = try h.writeDomain(bigVM)
        try String(contentsOfFile: bigXML, encoding: .utf8).replacingOccurrences(of: "<memory unit='MiB'>128</memory>", with: "<memory unit='MiB'>16777216</memory>")
            .write(toFile: bigXML, atomically: true, encoding: .utf8)

        let goodVM = "wiz-\(group)"
        defer { AgentHarness.remove(goodVM) }
        let goodXML = try h.writeDomain(goodVM)

        let screenshots = Self.packageRoot.appendingPathComponent(".build/console-screenshots").path
        let script = Self.packageRoot.appendingPathComponent("Tests/HAAgentTests/Console/console_browser.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "--url", "https://\(listen)", "--secret", APITLSTests.secret, "--group", group,
                             "--bad-xml", badXML, "--big-xml", bigXML, "--good-xml", goodXML, "--good-vm", goodVM, "--screenshots", screenshots]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = await Task.detached { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }.value
        process.waitUntilExit()
        print(text)
        print("console screenshots: \(screenshots)")
        XCTAssertEqual(process.terminationStatus, 0, "console_browser.py failed:\n\(text)")
    }
}
