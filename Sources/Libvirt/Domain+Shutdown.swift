internal import CLibvirt
import Foundation

/// How `Domain.shutdown(deadline:)` ended.
public enum ShutdownOutcome: Sendable, Equatable {
    /// The domain was not running.
    case alreadyOff
    /// The guest shut down by itself within the deadline.
    case shutDown
    /// The guest did not stop in time (or ignored ACPI) and was destroyed.
    case destroyed
}

extension Domain {
    /// Asks the guest to shut down and waits up to `deadline`; then destroys it. Returns how it stopped.
    ///
    /// Blocks the calling thread for up to `deadline` (it polls libvirt, itself a blocking call):
    /// run it on a thread of its own (`BlockingCall`), never on Swift concurrency's cooperative pool.
    public func shutdown(deadline: Duration, pollInterval: Duration = .milliseconds(100)) throws -> ShutdownOutcome {
        guard try isActive() else { return .alreadyOff }
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        do {
            try shutdown()
        } catch where error.code == .operationInvalid {
            if try !isActive() { return .shutDown }
        }
        while clock.now < end {
            if try !isActive() { return .shutDown }
            Thread.sleep(forTimeInterval: Double(pollInterval.components.seconds) + Double(pollInterval.components.attoseconds) / 1e18)
        }
        do {
            try destroy()
        } catch where error.code == .operationInvalid {
            // It stopped between the last poll and the destroy.
            if try !isActive() { return .shutDown }
            throw error
        }
        return .destroyed
    }
}
