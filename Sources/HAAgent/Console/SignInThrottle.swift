import HACore

/// Wrong cluster secrets per client address, a pure value with time injected: after
/// `freeFailures` wrong secrets in a row an address must wait before its next try, twice as long
/// after each further wrong one (up to `longestWait`); a right secret forgets the address.
struct SignInThrottle: Sendable {
    /// Wrong secrets an address may send in a row before it must wait.
    static let freeFailures = 5
    /// The first wait, doubled after each further wrong secret.
    static let firstWait = TimeSpan.seconds(30)
    static let longestWait = TimeSpan.minutes(15)
    /// At most this many addresses are remembered; the one that failed longest ago makes room.
    static let capacity = 4096

    struct Record: Sendable, Equatable {
        var failures: Int
        var last: Timestamp
        var blockedUntil: Timestamp?
    }

    private(set) var records: [String: Record] = [:]

    /// How long `client` must still wait before it may try a secret; nil when it may try now.
    func wait(for client: String, now: Timestamp) -> TimeSpan? {
        guard let until = records[client]?.blockedUntil, now < until else { return nil }
        return until - now
    }

    /// A wrong secret from `client`: past the free ones, it must wait before the next.
    mutating func failed(_ client: String, now: Timestamp) {
        forgetQuiet(now: now)
        if records[client] == nil, records.count >= Self.capacity,
           let oldest = records.min(by: { $0.value.last < $1.value.last })?.key {
            records[oldest] = nil
        }
        var record = records[client] ?? Record(failures: 0, last: now, blockedUntil: nil)
        record.failures += 1
        record.last = now
        let over = record.failures - Self.freeFailures
        if over >= 0 {
            let doubled = Self.firstWait * (Int64(1) << Int64(min(over, 20)))
            record.blockedUntil = now + min(doubled, Self.longestWait)
        }
        records[client] = record
    }

    /// The right secret from `client`: its wrong ones are forgotten.
    mutating func succeeded(_ client: String) { records[client] = nil }

    /// An address that has not failed for the longest wait starts afresh.
    private mutating func forgetQuiet(now: Timestamp) {
        records = records.filter { now - $0.value.last < Self.longestWait || ($0.value.blockedUntil.map { now < $0 } ?? false) }
    }
}
