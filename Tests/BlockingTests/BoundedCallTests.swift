import Blocking
import Foundation
import Testing

/// `BoundedCall`: a hung check answers within its bound, and costs one thread however often it is asked.
@Suite struct BoundedCallTests {
    @Test func aHungCallTimesOutAndNoSecondOneStartsWhileItIsBlocked() async {
        let gate = Gate()
        let calls = Counter()
        let check = BoundedCall(name: "test-bounded", timeout: .milliseconds(100))
        let first = await check.run { calls.add(); gate.waitBlocking(timeout: 60); return 1 }
        guard case .failure(.timedOut) = first else { Issue.record("a hung call must time out, got \(first)"); return gate.open() }
        let second = await check.run { calls.add(); return 2 }
        guard case .failure(.stillBlocked) = second else { Issue.record("no second call while the first is blocked, got \(second)"); return gate.open() }
        #expect(calls.value == 1)
        gate.open()
        // Once the blocked call returned, the next run calls again.
        var third: Result<Int, BoundedCall.Failure> = .failure(.failed("not run"))
        for _ in 0..<100 {
            third = await check.run { 3 }
            if case .success = third { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        #expect(third == .success(3))
    }

    @Test func anErrorComesBackDescribed() async {
        struct Refused: Error, CustomStringConvertible { var description: String { "read-only file system" } }
        let result = await BoundedCall(name: "test-bounded", timeout: .seconds(5)).run { () throws -> Int in throw Refused() }
        #expect(result == .failure(.failed("read-only file system")))
    }
}

/// A thread-safe call counter.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
