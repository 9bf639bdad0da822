import Foundation

/// Runs blocking work — a libvirt call that may take seconds (start, save, restore, migrate), or
/// waiting for a child process — on a thread of its own, never on Swift concurrency's pool.
///
/// The cooperative pool has one thread per core. A blocking call parked on it stalls every task of
/// the process: on a two-core host two concurrent migrations would stop the lease renewals, and the
/// host would fence itself in the middle of a drain. libdispatch queues do not help on Linux, since
/// they share the pool's worker threads. So each call gets a plain thread of its own; callers bound
/// how many run at once (the coordinator bounds concurrent moves). The work is not cancelled when
/// the awaiting task is: a libvirt call, once made, runs to its end.
public enum BlockingCall {
    /// Runs `work` on a new thread named `name` and returns its result or throws its error.
    public static func run<T: Sendable, E: Error>(
        _ name: String = "vigil-blocking", _ work: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(E) -> T in try work() })
            }
            thread.name = name
            thread.start()
        }
        return try result.get()
    }
}
