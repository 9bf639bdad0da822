/// The fencing levels of one node, as Pacemaker's fencing topology: levels tried in order, each a
/// list of devices that must all confirm `off` (e.g. level 1 the BMC, level 2 both PDU outlets).
public struct FenceTopology: Sendable, Equatable {
    /// The levels in order; each holds at least one device.
    public var levels: [[FenceDevice]]

    public init(levels: [[FenceDevice]]) { self.levels = levels }

    private var runner: FenceAgentRunner { FenceAgentRunner() }

    /// Powers `node` off: level after level (see `FencePlan`) until one confirms. Never throws and
    /// never hangs: each attempt is bounded by its device's timeout.
    public func fence(node: String) async -> FenceResult {
        let clock = ContinuousClock(), start = clock.now
        let plan = FencePlan(levels: levels)
        var attempts: [FenceAttempt] = []
        while true {
            switch plan.next(after: attempts) {
            case let .attempt(level, device, number):
                let chosen = levels[level - 1][device - 1]
                let outcome = await runner.run(.off, device: chosen, node: node)
                attempts.append(FenceAttempt(level: level, device: device, number: number,
                                             deviceDescription: chosen.description, outcome: outcome))
            case .confirmed(let level):
                return .confirmed(FenceConfirmation(node: node, level: level, devices: levels[level - 1].map(\.description),
                                                    seconds: (clock.now - start).seconds, attempts: attempts))
            case .exhausted:
                return .failed(FenceFailure(node: node, attempts: attempts, seconds: (clock.now - start).seconds))
            }
        }
    }

    /// The node's power from the first device (in level order, one attempt each) whose `status`
    /// answers 0 (on) or 2 (off); unknown when none does.
    public func status(node: String) async -> FencePowerStatus {
        for device in levels.joined() {
            switch await runner.run(.status, device: device, node: node).ending {
            case .exited(0): return .on
            case .exited(2): return .off
            default: continue
            }
        }
        return .unknown
    }

    /// Runs `monitor` on every device (one attempt each): is it reachable.
    public func monitor() async -> [FenceDeviceCheck] {
        var checks: [FenceDeviceCheck] = []
        for (level, devices) in levels.enumerated() {
            for (index, device) in devices.enumerated() {
                let outcome = await runner.run(.monitor, device: device, node: nil)
                checks.append(FenceDeviceCheck(level: level + 1, device: index + 1, deviceDescription: device.description, outcome: outcome))
            }
        }
        return checks
    }
}
