import Dispatch
import Foundation
import LabSupport
import Libvirt
import Synchronization
import Testing

/// All lab tests: one lab at a time on this machine, so every nested suite runs serially.
@Suite("Multi-host lab", .serialized)
enum LabTests {}

/// Test helpers over the lab: boot a guest on a host through Vigil's Libvirt wrapper, run a blocking
/// libvirt call off the cooperative pool, and format timings.
enum LabGuest {
    /// Defines and starts the guest on `host`; returns the running domain and its first heartbeat.
    static func boot(_ guest: Lab.Guest, on host: Lab.Host, lab: Lab) async throws -> (Connection, Domain, Heartbeat) {
        let connection = try Connection(uri: host.uri)
        let domain = try connection.define(xml: guest.domainXML)
        let started = labNow()
        try await BlockingCall.run { try domain.create() }
        let first = try await lab.waitForHeartbeat(of: guest.name, after: started)
        print("[lab] \(guest.name) started on \(host.name): first heartbeat after \(seconds(first.time - started))")
        return (connection, domain, first)
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }
}

/// A flag shared between a running job and the task polling it.
final class DoneFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
