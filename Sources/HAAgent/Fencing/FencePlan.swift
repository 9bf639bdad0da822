/// The order of fencing attempts across levels, as Pacemaker's fencing topology: levels in order,
/// within a level every device in order, each up to `1 + retries` times. A level confirms the fence
/// when all its devices succeeded; it fails at its first device that used up its attempts, and the
/// next level starts. Pure: the caller runs each attempt and hands back what happened.
public struct FencePlan: Sendable, Equatable {
    /// Attempts allowed per device, level by level.
    public let allowedAttempts: [[Int]]

    public init(levels: [[FenceDevice]]) {
        allowedAttempts = levels.map { $0.map { 1 + max(0, $0.retries) } }
    }

    public init(allowedAttempts: [[Int]]) { self.allowedAttempts = allowedAttempts }

    /// What to do next, given whether each attempt made so far succeeded.
    public func next(after attempts: [FenceAttempt]) -> FenceStep {
        levels: for (level, devices) in allowedAttempts.enumerated() {
            for (device, allowed) in devices.enumerated() {
                let made = attempts.filter { $0.level == level + 1 && $0.device == device + 1 }
                if made.contains(where: \.succeeded) { continue }
                if made.count < allowed { return .attempt(level: level + 1, device: device + 1, number: made.count + 1) }
                continue levels
            }
            if !devices.isEmpty { return .confirmed(level: level + 1) }
        }
        return .exhausted
    }
}

/// The plan's next step. Levels, devices and attempt numbers count from 1.
public enum FenceStep: Sendable, Equatable {
    /// Run `off` on this device of this level (its `number`th attempt).
    case attempt(level: Int, device: Int, number: Int)
    /// Every device of this level confirmed off: the node is fenced.
    case confirmed(level: Int)
    /// Every level failed.
    case exhausted
}
