import Foundation
import Blocking
import Testing

/// `BlockingCall` keeps blocking work off Swift concurrency's cooperative pool.
@Suite struct BlockingCallTests {
    @Test func moreBlockingCallsThanCoresLeaveOtherTasksRunning() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Twice as many calls as the pool has threads, each blocked until released.
        let (ranWhileBlocked, sum) = try await whileBlocked(2 * cores) { release in
            Task { await BlockingCall.run { release.waitBlocking(timeout: 60); return 1 } }
        }
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
