import Foundation
import Logging

/// Gives every thread of this process a CPU priority (nice value). On Linux a nice value belongs to
/// a thread and new threads inherit their creator's, so each thread listed in /proc/self/task is set
/// and every thread started later follows.
public enum ProcessPriority {
    /// What setting the priority did.
    public struct Outcome: Sendable, Equatable {
        /// Threads given the nice value.
        public var set: Int
        /// Threads that refused, with the error (e.g. EPERM without CAP_SYS_NICE).
        public var refused: [String]
    }

    /// Sets `nice` on every thread of this process that does not have it yet. A thread may start
    /// while the list is walked (from a thread not set yet), so the walk repeats until it finds every
    /// thread set.
    public static func apply(nice: Int) -> Outcome {
        var done: Set<id_t> = []
        var outcome = Outcome(set: 0, refused: [])
        for _ in 0..<10 {
            let tasks = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap(id_t.init)
            let pending = tasks.filter { !done.contains($0) }
            if pending.isEmpty { break }
            for tid in pending {
                done.insert(tid)
                errno = 0
                let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
                if errno == 0, Int(current) == nice { continue }
                if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, Int32(nice)) == 0 {
                    outcome.set += 1
                } else if errno != ESRCH {  // a thread that has just exited needs nothing
                    outcome.refused.append("thread \(tid): \(String(cString: strerror(errno)))")
                }
            }
        }
        return outcome
    }

    /// Keeps the priority on threads started later by code that does not inherit it (libdispatch's
    /// worker threads start at the default): re-applies it every `interval` until cancelled.
    public static func hold(nice: Int, every interval: Duration = .seconds(5)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            _ = apply(nice: nice)
        }
    }

    /// Applies the configured priority to the agent's process (vigild calls this once at start-up;
    /// an in-process agent in tests leaves its host process alone) and logs what it did.
    public static func apply(_ settings: MembershipSettings, logger: Logger) {
        guard settings.nice != 0 else { return }
        let outcome = apply(nice: settings.nice)
        if outcome.refused.isEmpty {
            logger.notice("CPU priority raised", metadata: ["nice": "\(settings.nice)", "threads": "\(outcome.set)"])
        } else {
            logger.warning("cannot set the CPU priority: lease renewals may be starved on a loaded host", metadata: [
                "nice": "\(settings.nice)", "threads": "\(outcome.set)", "refused": "\(outcome.refused.joined(separator: "; "))"])
        }
    }
}
