internal import CLibvirt
import Foundation
import Synchronization

/// libvirt's default event implementation, run on one dedicated thread for the whole process.
///
/// libvirt delivers domain events, close callbacks and keepalive pings only while some thread runs
/// `virEventRunDefaultImpl`. It must be registered before the first connection that wants events is
/// opened, so `Connection.init` starts it; starting it more than once is a no-op.
enum EventLoop {
    private static let started: Bool = {
        vigil_silence_default_error_printer()
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        let thread = Thread {
            while true { _ = virEventRunDefaultImpl() }
        }
        thread.name = "libvirt-event-loop"
        thread.start()
        return true
    }()

    /// Registers and starts the loop on first use; returns whether it runs.
    @discardableResult
    static func ensureRunning() -> Bool { started }
}

/// A process-wide table of callback targets, keyed by the integer passed to C as the opaque pointer.
///
/// C callbacks cannot capture Swift context; they get an integer key (never a pointer to a Swift
/// object, so a late callback after deregistration finds nothing instead of freed memory). A callback
/// running while its target is removed holds its own reference to the value it looked up, so nothing
/// it uses is freed under it (yielding to a stream that has just finished does nothing).
final class CallbackTable<Value: Sendable>: Sendable {
    private let entries = Mutex<(next: Int, values: [Int: Value])>((1, [:]))

    func insert(_ value: Value) -> Int {
        entries.withLock { state in
            let key = state.next
            state.next += 1
            state.values[key] = value
            return key
        }
    }

    func value(for key: Int) -> Value? { entries.withLock { $0.values[key] } }

    /// How many targets are registered.
    var count: Int { entries.withLock { $0.values.count } }

    @discardableResult
    func remove(_ key: Int) -> Value? { entries.withLock { $0.values.removeValue(forKey: key) } }

    static func key(_ opaque: UnsafeMutableRawPointer?) -> Int { Int(bitPattern: opaque) }
    static func opaque(_ key: Int) -> UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: key) }
}
