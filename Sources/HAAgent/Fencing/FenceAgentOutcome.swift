import Foundation

/// What one run of a fence agent did: how it ended, what it printed (bounded), how long it took.
public struct FenceAgentOutcome: Sendable, Equatable, CustomStringConvertible {
    public var ending: FenceAgentEnding
    /// Standard output (the first `FenceAgentRunner.outputLimit` bytes): `list` and `metadata` answers.
    public var output: String
    /// The last non-empty line of standard error: the agent's reason when it failed.
    public var lastErrorLine: String?
    /// Seconds from start to end (including the kill after a timeout).
    public var seconds: Double

    public init(ending: FenceAgentEnding, output: String = "", lastErrorLine: String? = nil, seconds: Double = 0) {
        self.ending = ending
        self.output = output
        self.lastErrorLine = lastErrorLine
        self.seconds = seconds
    }

    /// Exit status 0: the action succeeded (for `status`: the plug is on).
    public var succeeded: Bool { ending == .exited(0) }

    public var description: String {
        let took = "after \(FenceAgentOutcome.format(seconds)) s"
        return lastErrorLine.map { "\(ending) \(took): \($0)" } ?? "\(ending) \(took)"
    }

    static func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }
}

/// How a fence agent run ended.
public enum FenceAgentEnding: Sendable, Equatable, CustomStringConvertible {
    /// The agent exited with this status.
    case exited(Int32)
    /// A signal ended the agent (not Vigil's kill at the timeout).
    case signalled(Int32)
    /// The attempt's timeout passed; the agent's whole process group was killed (SIGKILL).
    case timedOut(seconds: Double)
    /// The agent could not be started.
    case notStarted(FenceAgentError)

    public var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signalled(let signal): "killed by signal \(signal)"
        case .timedOut(let seconds): "timed out (limit \(FenceAgentOutcome.format(seconds)) s, process group killed)"
        case .notStarted(let error): "not started: \(error)"
        }
    }
}

/// Why a fence agent could not be run.
public enum FenceAgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The agent path is not an executable file.
    case notExecutable(agent: String)
    /// A pipe for the agent's input or output could not be made (errno).
    case pipeFailed(errno: Int32)
    /// posix_spawn refused to start the agent (errno).
    case spawnFailed(agent: String, errno: Int32)
    /// An option would break the key=value protocol (a newline, or a key with '=').
    case badOption(key: String)

    public var description: String {
        switch self {
        case .notExecutable(let agent): "fence agent \(agent) is not an executable file"
        case .pipeFailed(let code): "cannot create a pipe for the fence agent: \(String(cString: strerror(code)))"
        case let .spawnFailed(agent, code): "cannot start fence agent \(agent): \(String(cString: strerror(code)))"
        case .badOption(let key): "fence device option '\(key)' holds a newline or its key holds '='"
        }
    }
}
