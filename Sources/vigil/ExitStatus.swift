import ArgumentParser
import Foundation

/// How `vigil` ends: one status per kind of outcome, so that scripts can tell them apart.
enum ExitStatus: Int32, CaseIterable, Sendable {
    case ok = 0
    case failed = 1
    case usage = 2
    case partial = 3
    case unavailable = 4

    var meaning: String {
        switch self {
        case .ok: "done"
        case .failed: "the agent refused or the operation failed (an unknown name, a bad value, a failed move)"
        case .usage: "the command line is wrong (unknown command or option, a malformed value)"
        case .partial: "done only in part: a move, start, stop, drain or verify waited on did not finish (timed out, aborted, or groups left)"
        case .unavailable: "no agent answered on the socket (or at --host), or it has no working store (no quorum, etcd down)"
        }
    }

    /// The statuses as `vigil --help` lists them.
    static var help: String {
        "Exit status:\n" + allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }

    /// Ends the process after a command line that did not parse (or asked for help or the version).
    static func exit(parsing error: any Error) -> Never {
        let code = Vigil.exitCode(for: error)
        if code == .success {
            print(Vigil.fullMessage(for: error))
            Foundation.exit(ok.rawValue)
        }
        printError(Vigil.fullMessage(for: error))
        Foundation.exit(usage.rawValue)
    }

    /// Ends the process after a command that threw.
    static func exit(running error: any Error) -> Never {
        if let error = error as? CLIError {
            printError("vigil: \(error)")
            Foundation.exit(error.status.rawValue)
        }
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        if let error = error as? ValidationError {
            printError("vigil: \(error.message)")
            Foundation.exit(usage.rawValue)
        }
        if Vigil.exitCode(for: error) == .success { exit(parsing: error) }
        printError("vigil: \(error)")
        Foundation.exit(failed.rawValue)
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// An error the CLI prints as is, with the exit status it ends with.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    let status: ExitStatus
    init(_ description: String, status: ExitStatus = .failed) {
        self.description = description
        self.status = status
    }
}
