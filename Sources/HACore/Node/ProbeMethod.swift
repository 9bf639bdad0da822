/// One way of asking whether a guest OS is alive (isAlive).
public enum ProbeMethod: Hashable, Sendable, CustomStringConvertible {
    /// The guest agent. Once `armed` (it has answered since the guest started) no answer is a
    /// failure; before that no answer counts for nothing (not installed, or not up yet).
    case agent(armed: Bool)
    /// The guest agent, not yet armed; the probe command decides meanwhile.
    case agentThenCommand([String])
    /// The configured probe command.
    case command([String])

    public var description: String {
        switch self {
        case .agent: "guest-agent"
        case .agentThenCommand: "guest-agent-or-command"
        case .command: "command"
        }
    }
}

/// What one probe found.
public enum ProbeOutcome: Hashable, Sendable {
    /// The guest agent answered: alive, and its agent armed from now on.
    case agentAnswered
    /// The probe command said alive.
    case alive
    case dead
    /// Nothing known: a guest agent that has not answered yet since the guest started.
    case notCounted
}

/// One probe the shell runs, and (in `NodeEvent.probed`) what it found.
public struct Probe: Hashable, Sendable {
    public var domain: String
    public var method: ProbeMethod
    public init(domain: String, method: ProbeMethod) { self.domain = domain; self.method = method }
}
