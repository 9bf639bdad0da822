import HAAgent
import ServiceLifecycle

/// Keeps vigild's configured CPU priority on every thread, also on those started after start-up.
struct PriorityHold: Service, CustomStringConvertible {
    var description: String { "PriorityHold(nice: \(nice))" }
    let nice: Int

    func run() async throws {
        await cancelWhenGracefulShutdown { await ProcessPriority.hold(nice: nice) }
    }
}
