/// One run of `off` on one device while fencing a node.
public struct FenceAttempt: Sendable, Equatable, CustomStringConvertible {
    /// The level (from 1), the device within it (from 1) and the attempt at that device (from 1).
    public var level: Int
    public var device: Int
    public var number: Int
    /// The device's agent and plug (never its options).
    public var deviceDescription: String
    public var outcome: FenceAgentOutcome

    public init(level: Int, device: Int, number: Int, deviceDescription: String, outcome: FenceAgentOutcome) {
        self.level = level
        self.device = device
        self.number = number
        self.deviceDescription = deviceDescription
        self.outcome = outcome
    }

    /// The agent confirmed the plug off (exit status 0).
    public var succeeded: Bool { outcome.succeeded }

    public var description: String {
        "level \(level) device \(device) \(deviceDescription) attempt \(number): \(succeeded ? "off" : "failed"), \(outcome)"
    }
}

/// The end of fencing one node: confirmed off by one level, or failed with every attempt made.
public enum FenceResult: Sendable, Equatable, CustomStringConvertible {
    case confirmed(FenceConfirmation)
    case failed(FenceFailure)

    /// The node is proven off.
    public var isConfirmed: Bool { if case .confirmed = self { true } else { false } }

    /// Every attempt made, in order (failed ones of earlier levels included).
    public var attempts: [FenceAttempt] {
        switch self {
        case .confirmed(let c): c.attempts
        case .failed(let f): f.attempts
        }
    }

    public var description: String {
        switch self {
        case .confirmed(let c): c.description
        case .failed(let f): f.description
        }
    }
}

/// A fence confirmed: which level's devices all answered off, after how long.
public struct FenceConfirmation: Sendable, Equatable, CustomStringConvertible {
    public var node: String
    /// The level (from 1) whose devices all confirmed off.
    public var level: Int
    /// Those devices (agent and plug).
    public var devices: [String]
    /// Seconds from the first attempt to the confirmation.
    public var seconds: Double
    /// Every attempt made, failed ones of earlier levels included.
    public var attempts: [FenceAttempt]

    public var description: String {
        let failed = attempts.filter { !$0.succeeded }.count
        return "\(node) fenced by level \(level) (\(devices.joined(separator: ", "))) in \(FenceAgentOutcome.format(seconds)) s"
            + (failed == 0 ? "" : " after \(failed) failed attempt\(failed == 1 ? "" : "s")")
    }
}

/// A fence that failed: no level confirmed; every attempt with its outcome.
public struct FenceFailure: Sendable, Equatable, CustomStringConvertible {
    public var node: String
    public var attempts: [FenceAttempt]
    public var seconds: Double

    public var description: String {
        let reason = attempts.isEmpty ? "no fence device configured" : attempts.map(\.description).joined(separator: "; ")
        return "fencing \(node) failed after \(FenceAgentOutcome.format(seconds)) s: \(reason)"
    }
}

/// A node's power as its fence devices report it.
public enum FencePowerStatus: String, Sendable, Equatable {
    /// A device answered `status` with exit 0.
    case on
    /// A device answered `status` with exit 2.
    case off
    /// No device answered.
    case unknown
}

/// Whether one fence device answered `monitor`.
public struct FenceDeviceCheck: Sendable, Equatable, CustomStringConvertible {
    public var level: Int
    public var device: Int
    public var deviceDescription: String
    public var outcome: FenceAgentOutcome

    /// The device is reachable (monitor exited 0).
    public var reachable: Bool { outcome.succeeded }

    public var description: String {
        "level \(level) device \(device) \(deviceDescription): \(reachable ? "reachable" : "unreachable, \(outcome)")"
    }
}
