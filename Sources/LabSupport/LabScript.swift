import Foundation
import Blocking

/// Runs `deploy/lab/lab` with stdin from /dev/null and captures its output (no TTY needed).
public struct LabScript: Sendable {
    /// Absolute path of the `lab` script.
    public let path: String

    public init(path: String) { self.path = path }

    /// Finds the script: `$VIGIL_LAB_SCRIPT`, else `deploy/lab/lab` above this source file or the
    /// current directory.
    public static func locate(sourceFile: String = #filePath) throws(LabError) -> LabScript {
        if let path = ProcessInfo.processInfo.environment["VIGIL_LAB_SCRIPT"] { return LabScript(path: path) }
        var searched: [String] = []
        for start in [sourceFile, FileManager.default.currentDirectoryPath + "/."] {
            var dir = URL(fileURLWithPath: start).deletingLastPathComponent()
            while dir.path != "/" {
                let candidate = dir.appendingPathComponent("deploy/lab/lab").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return LabScript(path: candidate) }
                searched.append(candidate)
                dir.deleteLastPathComponent()
            }
        }
        throw .scriptNotFound(searched: searched)
    }

    /// Runs `lab arguments...` (waiting on a thread of its own: lab commands take seconds); returns
    /// its standard output, or throws with its standard error.
    @discardableResult
    public func run(_ arguments: [String]) async throws(LabError) -> String {
        let result = try await complete(arguments, input: nil)
        switch result.status {
        case 0: return result.out
        case 3: throw .hostUnsupported(message: result.err.trimmingCharacters(in: .whitespacesAndNewlines))
        default: throw .commandFailed(arguments: arguments, status: result.status,
                                      message: result.err.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Runs `lab arguments...` with `input` on its standard input; returns its exit status and
    /// output whatever the status (a command's own failure is a result here, not an error).
    public func run(_ arguments: [String], input: String) async throws(LabError) -> (status: Int32, out: String, err: String) {
        try await complete(arguments, input: input)
    }

    private func complete(_ arguments: [String], input: String?) async throws(LabError) -> (status: Int32, out: String, err: String) {
        let command = ["/bin/bash", path] + arguments
        do { return try await BlockingCall.run("vigil-lab") { try Self.execute(command, input: input) } } catch {
            throw .commandFailed(arguments: arguments, status: -1, message: "\(error)")
        }
    }

    /// Runs a program to completion; output goes through temporary files, never pipes, so daemons
    /// the command leaves running cannot hold us up (see `Spawn`). `input`, if any, is its standard
    /// input, from a file only root can read (never a command line: it may hold a password).
    public static func execute(_ command: [String], input: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-lab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path, err = dir.appendingPathComponent("err").path
        let stdin = input == nil ? "/dev/null" : dir.appendingPathComponent("in").path
        if let input { try input.write(toFile: stdin, atomically: false, encoding: .utf8) }
        let status = try Spawn.wait(try Spawn.start(command, stdin: stdin, stdout: out, stderr: err))
        return (status, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8))
    }
}

/// Why a lab operation failed.
public enum LabError: Error, CustomStringConvertible, Equatable {
    /// The machine cannot host the lab (not root, no network namespaces): a failure, never a skip.
    case hostUnsupported(message: String)
    case scriptNotFound(searched: [String])
    case commandFailed(arguments: [String], status: Int32, message: String)
    case unknownHost(String)
    case noHeartbeat(guest: String, seconds: Double)
    /// `down` finished but lab namespaces, mounts or processes remain.
    case leftovers([String])
    /// Another process (PID `holder`) kept the machine's lab for `seconds`.
    case busy(holder: String, seconds: Double)

    public var description: String {
        switch self {
        case .hostUnsupported(let message):
            return "this machine cannot run the multi-host lab (root and network namespaces are required): \(message)"
        case .scriptNotFound(let searched): return "deploy/lab/lab not found; searched \(searched.joined(separator: ", "))"
        case .commandFailed(let arguments, let status, let message):
            return "lab \(arguments.joined(separator: " ")) failed (exit \(status)): \(message)"
        case .unknownHost(let name): return "no lab host named \(name)"
        case .noHeartbeat(let guest, let seconds): return "no heartbeat from guest \(guest) within \(seconds) s"
        case .leftovers(let items): return "lab down left things behind: \(items.joined(separator: "; "))"
        case .busy(let holder, let seconds):
            return "the lab stayed in use by process \(holder) for \(Int(seconds)) s (\(LabLock.path))"
        }
    }
}
