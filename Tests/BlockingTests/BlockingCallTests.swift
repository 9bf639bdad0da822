import Foundation
import Blocking
import Testing

/// `BlockingCall` keeps blocking work off Swift concurrency's cooperative pool.
@Suite struct BlockingCallTests {
    @Test func moreBlockingCallsThanCoresLeaveOtherTasksRunning() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let release = Gate()
        // A watchdog on a plain thread: if no task got to run within 5 s, the pool was starved;
        // it then opens the gate so that the test fails instead of hanging.
        let watchdog = Thread {
            if !release.waitBlocking(timeout: 5) { release.open() }
        }
        // Twice as many calls as the pool has threads, each blocked until released.
        let calls = (0..<(2 * cores)).map { _ in
            Task { await BlockingCall.run { release.waitBlocking(timeout: 60); return 1 } }
        }
        watchdog.start()
        // An ordinary task must still get to run while every call is blocked.
        try await Task.sleep(for: .milliseconds(50))
        let ranWhileBlocked = !release.isOpen
        release.open()
        var sum = 0
        for call in calls { sum += await call.value }
        #expect(ranWhileBlocked, "a task ran while \(2 * cores) blocking calls were parked")
        #expect(sum == 2 * cores)
    }

    @Test func typedErrorsComeBackUnchanged() async {
        struct Failure: Error, Equatable { let code: Int }
        await #expect(throws: Failure(code: 7)) {
            try await BlockingCall.run { () throws(Failure) -> Int in throw Failure(code: 7) }
        }
    }
}

/// A one-shot gate plain threads can block on.
private final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false

    var isOpen: Bool {
        condition.lock()
        defer { condition.unlock() }
        return opened
    }

    /// Blocks until the gate opens or `timeout` seconds pass; returns whether it opened.
    @discardableResult
    func waitBlocking(timeout: TimeInterval) -> Bool {
        let limit = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !opened { if !condition.wait(until: limit) { return opened } }
        return true
    }

    func open() {
        condition.lock()
        opened = true
        condition.broadcast()
        condition.unlock()
    }
}
