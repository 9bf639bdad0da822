import Foundation
import Blocking
import Testing

/// `BlockingExecutor` keeps an actor's blocking steps off Swift concurrency's cooperative pool.
@Suite struct BlockingExecutorTests {
    @Test func actorsBlockedOnTheirOwnThreadsLeaveOtherTasksRunning() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Twice as many actors as the pool has threads, each blocked in a step until released.
        let (ranWhileBlocked, sum) = try await whileBlocked(2 * cores) { release in
            let stalling = Stalling()
            return Task { await stalling.block(until: release) }
        }
        #expect(ranWhileBlocked, "a task ran while \(2 * cores) actors were blocked")
        #expect(sum == 2 * cores)
    }

    @Test func stepsOfOneActorRunOneAfterTheOther() async {
        let counter = Stalling()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { await counter.increment() } }
        }
        #expect(await counter.count == 200)
        #expect(await counter.overlaps == 0)
    }
}

/// An actor on a `BlockingExecutor` whose steps block.
private actor Stalling {
    private let executor = BlockingExecutor(name: "test-stalling")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    var count = 0
    var overlaps = 0
    private var inside = false

    func block(until gate: Gate) -> Int {
        gate.waitBlocking(timeout: 60)
        return 1
    }

    func increment() {
        if inside { overlaps += 1 }
        inside = true
        let before = count
        usleep(10)
        count = before + 1
        inside = false
    }
}
