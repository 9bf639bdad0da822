import Foundation

/// A serial executor with a thread of its own, for an actor whose every step blocks (SQLite's
/// synchronous writes): its jobs run one after the other on that thread, never on Swift
/// concurrency's cooperative pool, and each step of the actor stays one uninterrupted turn (which
/// `BlockingCall` inside the actor would break at every call). The thread ends with the executor.
public final class BlockingExecutor: SerialExecutor, @unchecked Sendable {
    private let jobs = JobQueue()

    /// Starts the executor's thread, named `name`.
    public init(name: String) {
        let jobs = self.jobs
        let thread = Thread { jobs.runUntilClosed() }
        thread.name = name
        thread.start()
    }

    deinit { jobs.close() }

    public func enqueue(_ job: consuming ExecutorJob) {
        jobs.push(UnownedJob(job), on: asUnownedSerialExecutor())
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

/// The executor's jobs in arrival order, taken by its thread.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [(job: UnownedJob, executor: UnownedSerialExecutor)] = []
    private var closed = false

    func push(_ job: UnownedJob, on executor: UnownedSerialExecutor) {
        condition.lock()
        waiting.append((job, executor))
        condition.signal()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs as they come until closed and drained.
    func runUntilClosed() {
        while true {
            condition.lock()
            while waiting.isEmpty && !closed { condition.wait() }
            if waiting.isEmpty {
                condition.unlock()
                return
            }
            let next = waiting.removeFirst()
            condition.unlock()
            next.job.runSynchronously(on: next.executor)
        }
    }
}
