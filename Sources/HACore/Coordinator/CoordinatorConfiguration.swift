/// Settings of the cluster coordinator.
public struct CoordinatorConfiguration: Hashable, Codable, Sendable {
    /// How long after a lease is lost the node is taken as fenced (its watchdog has fired by then).
    /// Must exceed the worst watchdog delay plus clock drift; zero is unsafe.
    public var fencingMargin: TimeSpan
    /// How many groups a drain moves at once.
    public var maxConcurrentMovesPerDrain: Int
    public var placement: PlacementOptions

    public init(fencingMargin: TimeSpan = .seconds(10), maxConcurrentMovesPerDrain: Int = 2,
                placement: PlacementOptions = PlacementOptions()) {
        self.fencingMargin = fencingMargin
        self.maxConcurrentMovesPerDrain = max(1, maxConcurrentMovesPerDrain)
        self.placement = placement
    }
}

/// The directives decided while handling one event, stamped with the event's time.
struct Decisions {
    let now: Timestamp
    var directives: [Directive] = []
    mutating func add(_ action: Directive.Action, _ reason: String) { directives.append(Directive(action, reason: reason)) }
}
