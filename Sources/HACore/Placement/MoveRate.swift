/// How fast moves of one method went on this cluster: guest memory moved per second of move,
/// measured on earlier moves (their records hold when each began and ended). Sizes a drain's estimate.
public struct MoveRate: Hashable, Sendable {
    public let mebibytesPerSecond: Double
    /// How many moves it was measured on (0: assumed, none measured yet).
    public let samples: Int

    /// What a drain's estimate assumes before any move of a method was measured: a 1 GbE-class link.
    public static let assumed = MoveRate(assumedMebibytesPerSecond: 100)

    /// A rate assumed, not measured.
    public init(assumedMebibytesPerSecond: Double) {
        mebibytesPerSecond = assumedMebibytesPerSecond
        samples = 0
    }

    /// Whether no move measured it.
    public var isAssumed: Bool { samples == 0 }

    /// The rate over these moves (memory moved, seconds taken); nil when none took measurable time.
    public init?(moves: [(memoryMiB: Int, seconds: Double)]) {
        let usable = moves.filter { $0.seconds > 0 && $0.memoryMiB > 0 }
        guard !usable.isEmpty else { return nil }
        mebibytesPerSecond = Double(usable.reduce(0) { $0 + $1.memoryMiB }) / usable.reduce(0) { $0 + $1.seconds }
        samples = usable.count
    }

    /// How long moving a guest of this size is expected to take.
    public func estimate(memoryMiB: Int) -> TimeSpan {
        TimeSpan(milliseconds: Int64((Double(memoryMiB) / mebibytesPerSecond * 1000).rounded(.up)))
    }
}
