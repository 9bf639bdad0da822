import Foundation
import Synchronization

/// A blocking check that must answer within a bound (is libvirtd alive, does shared storage work):
/// each run is a `BlockingCall` whose caller stops waiting after `timeout`, and while one call is
/// still blocked (a hung libvirtd, a hard NFS mount) no second one starts, so a hang costs one
/// thread however long it lasts. The blocked call is not cancelled: when it returns at last, the
/// next run starts a fresh one.
public final class BoundedCall: Sendable {
    /// Why a run gave no result.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The call has not returned within the bound.
        case timedOut(seconds: Double)
        /// A call of an earlier run has not returned yet, for this long.
        case stillBlocked(seconds: Double)
        /// The call threw this error.
        case failed(String)

        public var description: String {
            switch self {
            case .timedOut(let s): "no answer within \(Self.format(s)) s"
            case .stillBlocked(let s): "no answer for \(Self.format(s)) s"
            case .failed(let error): error
            }
        }

        private static func format(_ seconds: Double) -> String { String(format: "%.1f", seconds) }
    }

    private let name: String
    private let timeout: Duration
    /// Since when a call runs, nil when none does.
    private let running = Running()

    private final class Running: Sendable {
        let since = Mutex<ContinuousClock.Instant?>(nil)
    }

    /// Calls run on threads named `name`, each awaited at most `timeout`.
    public init(name: String, timeout: Duration) {
        self.name = name
        self.timeout = timeout
    }

    /// Runs `work`, or fails at once while an earlier call is still blocked.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async -> Result<T, Failure> {
        let now = ContinuousClock.now
        if let since = running.since.withLock({ state -> ContinuousClock.Instant? in
            if let since = state { return since }
            state = now
            return nil
        }) {
            return .failure(.stillBlocked(seconds: Self.seconds(now - since)))
        }
        let timeout = timeout
        let name = name
        let running = running
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, Failure>, Never>) in
            let pending = Mutex<CheckedContinuation<Result<T, Failure>, Never>?>(continuation)
            let thread = Thread {
                let result = Result { try work() }.mapError { Failure.failed("\($0)") }
                running.since.withLock { $0 = nil }
                pending.withLock { $0.take() }?.resume(returning: result)
            }
            thread.name = name
            thread.start()
            Task {
                try? await Task.sleep(for: timeout)
                pending.withLock { $0.take() }?.resume(returning: .failure(.timedOut(seconds: Self.seconds(timeout))))
            }
        }
    }

    private static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
