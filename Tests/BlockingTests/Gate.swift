import Foundation

/// Starts `count` calls that block their thread until released and says whether an ordinary task
/// got to run meanwhile, with the sum of what the calls return. If none did within 5 s, a watchdog
/// on a plain thread releases them, so that the test fails instead of hanging.
func whileBlocked(_ count: Int, _ start: (Gate) -> Task<Int, Never>) async throws -> (ranWhileBlocked: Bool, sum: Int) {
    let release = Gate()
    let watchdog = Thread {
        if !release.waitBlocking(timeout: 5) { release.open() }
    }
    let calls = (0..<count).map { _ in start(release) }
    watchdog.start()
    // An ordinary task must still get to run while every call is blocked.
    try await Task.sleep(for: .milliseconds(50))
    let ranWhileBlocked = !release.isOpen
    release.open()
    var sum = 0
    for call in calls { sum += await call.value }
    return (ranWhileBlocked, sum)
}

/// A one-shot gate plain threads can block on.
final class Gate: @unchecked Sendable {
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
