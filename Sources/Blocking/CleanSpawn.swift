import Foundation

/// posix_spawn attributes that give a child a clean signal mask and default handlers. Threads of
/// Swift concurrency and Dispatch block most signals, and a child inherits that mask: daemons,
/// `timeout`'s SIGTERM and agents' own timers need a clean one.
public enum CleanSpawn {
    /// Runs `body` with such attributes; `flags` are added (e.g. POSIX_SPAWN_SETPGROUP) and
    /// `configure` sets what they need (e.g. the process group).
    public static func withAttributes<T>(flags: Int32 = 0, configure: (inout posix_spawnattr_t) -> Void = { _ in },
                                         _ body: (inout posix_spawnattr_t) throws -> T) rethrows -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | flags))
        configure(&attributes)
        return try body(&attributes)
    }
}
