import Dispatch
import Synchronization
import XCTest
@testable import Libvirt

/// `Connection.close()` racing calls in flight on other threads, and calls after close.
final class ConnectionCloseTests: XCTestCase {
    /// Every call racing a close either succeeds or throws `.connectionClosed`: none may reach
    /// libvirt with a freed handle (which libvirt reports as an invalid connection, or crashes on).
    func testCloseRacingConcurrentCallsNeverUsesAFreedHandle() throws {
        let unexpected = Mutex<[String]>([])
        // No `Domain` lives across the close: each holds a reference to the C connection, which would
        // keep it from being freed and hide the race. The close lands a little later each time.
        try raceClose(iterations: 5_000, delay: { iteration in iteration % 50 * 40 }) { connection, caller in
            for _ in 0..<50 {
                do throws(LibvirtError) {
                    _ = caller == 1 ? try connection.nodeInfo().cpus : try connection.listDomains().count
                } catch where error.code == .connectionClosed {
                    return
                } catch {
                    unexpected.withLock { $0.append("\(error)") }
                    return
                }
            }
        }
        let errors = unexpected.withLock { $0 }
        XCTAssertEqual(errors, [], "\(errors.count) calls failed otherwise than with .connectionClosed; first: \(errors.first ?? "")")
    }

    /// A domain-event or close-notification stream registered while the connection closes on another
    /// thread is either refused (`.connectionClosed`) or ended by the close: none keeps its callback.
    func testStreamsRegisteredRacingCloseAllEnd() async throws {
        let eventStreams = Mutex<[AsyncStream<DomainEvent>]>([])
        let closeStreams = Mutex<[AsyncStream<Connection.CloseReason>]>([])
        let unexpected = Mutex<[String]>([])
        let (eventsBefore, closesBefore) = (eventContinuations.count, closeContinuations.count)
        // The close lands at every point of the registrations, a little later each time.
        try raceClose(iterations: 2_000, delay: { iteration in iteration % 100 * 20 }) { connection, caller in
            do throws(LibvirtError) {
                // libvirt takes one lifecycle callback and one close callback per connection.
                if caller == 1 {
                    let events = try connection.domainEvents()
                    eventStreams.withLock { $0.append(events) }
                } else {
                    let closed = try connection.closeNotifications()
                    closeStreams.withLock { $0.append(closed) }
                }
            } catch where error.code == .connectionClosed {
            } catch {
                unexpected.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(unexpected.withLock { $0 }, [])
        // Every connection of this test is closed: none may leave a stream registered.
        XCTAssertEqual(eventContinuations.count, eventsBefore, "domain-event streams left registered")
        XCTAssertEqual(closeContinuations.count, closesBefore, "close-notification streams left registered")
        // A stream left registered would never end: awaited only when none is.
        guard eventContinuations.count == eventsBefore, closeContinuations.count == closesBefore else { return }
        // Each stream is read with a bound: one the close left unended fails the test instead of hanging the run.
        var events = 0
        for stream in eventStreams.withLock({ $0 }) {
            guard let seen = await drain(stream, within: .seconds(30)) else { return XCTFail("a domain-event stream registered racing close never ended") }
            events += seen.count
        }
        XCTAssertEqual(events, 0)
        var reasons: [Connection.CloseReason] = []
        for stream in closeStreams.withLock({ $0 }) {
            guard let seen = await drain(stream, within: .seconds(30)) else { return XCTFail("a close-notification stream registered racing close never ended") }
            reasons += seen
        }
        XCTAssertEqual(reasons, Array(repeating: .client, count: closeStreams.withLock { $0.count }), "each reports the client's close once")
    }

    /// Calls on the connection and on its domains after `close()`.
    func testCallsAfterCloseThrowConnectionClosed() throws {
        let (connection, domain) = try TestDriver.definedDomain("closed")
        let name = domain.name
        defer { try? Connection(uri: TestDriver.uri).lookup(name: name).undefine() }
        connection.close()
        let calls: [(String, () throws -> Void)] = [
            ("hostname", { _ = try connection.hostname() }),
            ("listDomains", { _ = try connection.listDomains() }),
            ("lookup", { _ = try connection.lookup(name: name) }),
            ("domainEvents", { _ = try connection.domainEvents() }),
            ("closeNotifications", { _ = try connection.closeNotifications() }),
            ("Domain.state", { _ = try domain.state() }),
            ("Domain.create", { try domain.create() }),
        ]
        for (label, call) in calls {
            XCTAssertThrowsError(try call(), label) { error in
                XCTAssertEqual((error as? LibvirtError)?.code, .connectionClosed, "\(label): \(error)")
            }
        }
        XCTAssertEqual(domain.name, name, "a domain's own name stays readable")
    }

    /// Everything `stream` yields until it ends, or nil when it has not ended within `bound`.
    private func drain<T: Sendable>(_ stream: AsyncStream<T>, within bound: Duration) async -> [T]? {
        await withTaskGroup(of: [T]?.self) { group in
            group.addTask {
                var all: [T] = []
                for await element in stream { all.append(element) }
                return Task.isCancelled ? nil : all
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Opens `iterations` connections; on each, two callers (1 and 2) run `call` on threads of their
    /// own while a third closes the connection once both have started, `delay(iteration)` spins later.
    private func raceClose(iterations: Int, delay: (Int) -> Int = { _ in 0 }, _ call: @Sendable (Connection, Int) -> Void) throws {
        for iteration in 0..<iterations {
            let connection = try Connection(uri: TestDriver.uri)
            let started = Atomic<Int>(0)
            let spins = delay(iteration)
            DispatchQueue.concurrentPerform(iterations: 3) { worker in
                guard worker == 0 else {
                    started.add(1, ordering: .releasing)
                    return call(connection, worker)
                }
                while started.load(ordering: .acquiring) < 2 {}
                for _ in 0..<spins { _ = started.load(ordering: .relaxed) }
                connection.close()
            }
        }
    }
}
