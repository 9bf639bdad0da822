import Blocking
import Foundation

/// Starts programs with posix_spawn: standard input from /dev/null or a file, output to files, and a clean
/// signal mask and default handlers (`CleanSpawn`: daemons and `timeout`'s SIGTERM need them). Foundation's
/// `Process.waitUntilExit` was also seen to hang in async tests, so waiting uses waitpid directly.
public enum Spawn {
    /// Starts `command`; its standard output and error go to these files (created, appended to),
    /// its standard input comes from `stdin`.
    public static func start(_ command: [String], stdin: String = "/dev/null", stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = CleanSpawn.withAttributes { posix_spawn(&pid, command[0], &actions, &$0, argv, environ) }
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        return pid
    }

    /// Waits for the process and returns its exit status (128 + signal when a signal ended it).
    public static func wait(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        return exitStatus(status)
    }

    /// The exit status if the process has ended (reaping it), nil while it runs.
    public static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? exitStatus(status) : nil
    }

    private static func exitStatus(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
