import Blocking
import Foundation
import LabSupport
import Libvirt
import Synchronization
import Testing

/// All lab tests: one lab at a time on this machine, so every nested suite runs serially.
@Suite("Multi-host lab", .serialized)
enum LabTests {}

/// Test helpers over the lab: boot a guest on a host through Vigil's Libvirt wrapper, run a blocking
/// libvirt call with a deadline, and format timings.
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

    /// Runs a blocking call on a thread of its own and waits at most `seconds` for it: a call that
    /// never returns fails the test instead of hanging it (the call itself may go on).
    static func blocking<T: Sendable>(within seconds: Double, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let waiter = Mutex<CheckedContinuation<Result<T, any Error>, Never>?>(nil)
        return try await withCheckedContinuation { continuation in
            waiter.withLock { $0 = continuation }
            Thread { let result = Result { try work() }; waiter.withLock { $0.take() }?.resume(returning: result) }.start()
            Thread {
                Thread.sleep(forTimeInterval: seconds)
                waiter.withLock { $0.take() }?.resume(returning: .failure(StillBlocked(seconds: seconds)))
            }.start()
        }.get()
    }

    struct StillBlocked: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "the call had not returned after \(seconds) s" }
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }
}

/// A flag shared between a running job and the task polling it.
final class DoneFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
