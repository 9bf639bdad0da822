import Foundation
import HACore

/// Wall-clock seconds as the embedded store sees them; injected so tests can drive lease expiry.
public typealias StoreClock = @Sendable () -> Double

/// The real wall clock, in seconds since 1970 (lease deadlines persist across agent restarts).
public let systemStoreClock: StoreClock = { Date().timeIntervalSince1970 }

/// A clock that moves only when told to: for deterministic lease-expiry tests.
public final class ManualClock: Sendable {
    private let seconds: LockedBox<Double>

    public init(start: Double = 1_000_000) { seconds = LockedBox(start) }

    /// The current reading.
    public var now: Double { seconds.value }
    /// Moves the clock forward.
    public func advance(by delta: Double) { seconds.withValue { $0 += delta } }
    /// This clock as a `StoreClock`.
    public var storeClock: StoreClock { { [self] in self.now } }
}

extension Timestamp {
    /// The wall clock now (the shell's clock; HACore itself never reads one).
    public static var wallClockNow: Timestamp { Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)) }
}
