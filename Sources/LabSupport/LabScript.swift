import Foundation

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

    /// Runs `lab arguments...`; returns its standard output, or throws with its standard error.
    @discardableResult
    public func run(_ arguments: [String]) throws(LabError) -> String {
        let result: (status: Int32, out: String, err: String)
        do { result = try Self.execute(["/bin/bash", path] + arguments) } catch {
            throw .commandFailed(arguments: arguments, status: -1, message: "\(error)")
        }
        switch result.status {
        case 0: return result.out
        case 3: throw .hostUnsupported(message: result.err.trimmingCharacters(in: .whitespacesAndNewlines))
        default: throw .commandFailed(arguments: arguments, status: result.status,
                                      message: result.err.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Runs a program to completion; output goes through temporary files, never pipes, so daemons
    /// the command leaves running cannot hold us up. Uses posix_spawn and waitpid directly:
    /// Foundation's `Process.waitUntilExit` was seen to hang in async tests with the child reaped never.
    public static func execute(_ command: [String]) throws -> (status: Int32, out: String, err: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-lab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path, err = dir.appendingPathComponent("err").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Threads of Swift concurrency and Dispatch block most signals, and a child inherits that
        // mask: the lab's daemons (and `timeout`'s SIGTERM) need a clean one and default handlers.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8))
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
