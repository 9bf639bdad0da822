import AgentAPI
import Foundation
import XCTest
@testable import HAAgent

/// A VM's domain XML changed on shared storage behind Vigil's back shows as an alert naming the VM,
/// the file and the fix; `vm edit` (which the wizard checks) clears it; a deleted file is an error;
/// `vm remove` forgets the record.
final class ConfigurationDriftTests: XCTestCase {
    func testAnXMLChangedOutsideVigilRaisesAnAlertUntilVMEditAppliesIt() async throws {
        let h = try AgentHarness()
        h.start()
        do { try await h.waitForAPI() } catch { await h.stop(); throw error }
        defer { Task { await h.stop() } }
        let vm = "drift-\(UUID().uuidString.prefix(6).lowercased())"
        let path = try h.writeDomain(vm)
        let added = try await h.call(.POST, AgentAPI.vms, body: JSONEncoder().encode(AddVMRequest(domain: vm, xmlPath: path, priority: "noAutoStart")))
        XCTAssertEqual(added.status, 201, String(decoding: added.body, as: UTF8.self))
        func drift() async throws -> [AlertView] { try await (h.status().alerts ?? []).filter { $0.subject == vm && $0.message.contains(path) } }
        var alerts = try await drift()
        XCTAssertEqual(alerts, [], "the file is as vm add accepted it")

        let original = try String(contentsOfFile: path, encoding: .utf8)
        let edited = original.replacingOccurrences(of: "<memory unit='MiB'>128</memory>", with: "<memory unit='MiB'>256</memory>")
        XCTAssertNotEqual(edited, original)
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        alerts = try await drift()
        XCTAssertEqual(alerts.map(\.severity), ["warning"], "\(alerts)")
        XCTAssertTrue(alerts.first?.message.contains("VM \(vm)'s domain XML \(path) changed on shared storage outside Vigil (last written by vm add") == true, "\(alerts)")
        XCTAssertTrue(alerts.first?.message.contains("vigil vm edit \(vm) --xml FILE") == true, "\(alerts)")

        let applied = try await h.call(.PUT, AgentAPI.vm(vm), body: JSONEncoder().encode(EditVMRequest(xml: edited)))
        XCTAssertEqual(applied.status, 200, String(decoding: applied.body, as: UTF8.self))
        alerts = try await drift()
        XCTAssertEqual(alerts, [], "vm edit wrote and recorded it")

        try FileManager.default.removeItem(atPath: path)
        alerts = try await drift()
        XCTAssertEqual(alerts.map(\.severity), ["error"], "\(alerts)")
        XCTAssertTrue(alerts.first?.message.contains("cannot start anywhere; restore the file (the previous revision may be at \(path).prev)") == true, "\(alerts)")

        let removed = try await h.call(.DELETE, AgentAPI.vm(vm))
        XCTAssertEqual(removed.status, 200, String(decoding: removed.body, as: UTF8.self))
        alerts = try await (h.status().alerts ?? []).filter { $0.message.contains(path) }
        XCTAssertEqual(alerts, [], "a VM that is no longer highly available raises nothing")
    }
}
