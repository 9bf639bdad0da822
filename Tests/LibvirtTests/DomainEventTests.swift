import XCTest
@testable import Libvirt

/// Lifecycle events delivered through libvirt's event loop as an AsyncStream.
final class DomainEventTests: XCTestCase {
    func testLifecycleEventsArriveInOrder() async throws {
        let connection = try Connection(uri: TestDriver.uri)
        let name = TestDriver.uniqueName("events")
        let events = try connection.domainEvents()
        let domain = try connection.define(xml: TestDriver.domainXML(name: name))
        try domain.create()
        try domain.destroy()
        try domain.undefine()

        var seen: [DomainEvent] = []
        for await event in events where event.domainName == name {
            seen.append(event)
            if event.kind == .undefined { break }
        }
        XCTAssertEqual(seen.map(\.kind), [.defined, .started, .stopped, .undefined])
        XCTAssertEqual(seen[1].startedDetail, .booted)
        XCTAssertEqual(seen[2].stoppedDetail, .destroyed)
        XCTAssertEqual(seen[0].domainUUID, domain.uuid)
    }

    func testEventsOfOneDomainOnly() async throws {
        let connection = try Connection(uri: TestDriver.uri)
        let watched = try connection.define(xml: TestDriver.domainXML(name: TestDriver.uniqueName("watched")))
        let other = try connection.define(xml: TestDriver.domainXML(name: TestDriver.uniqueName("other")))
        defer { try? watched.undefine(); try? other.undefine() }
        let events = try connection.domainEvents(of: watched)
        try other.create()
        try watched.create()
        try other.destroy()
        try watched.destroy()
        var seen: [DomainEvent] = []
        for await event in events {
            seen.append(event)
            if event.kind == .stopped { break }
        }
        XCTAssertEqual(seen.map(\.domainName), [watched.name, watched.name])
    }

    func testStreamEndsWhenConnectionCloses() async throws {
        let connection = try Connection(uri: TestDriver.uri)
        let events = try connection.domainEvents()
        connection.close()
        var count = 0
        for await _ in events { count += 1 }
        XCTAssertEqual(count, 0)
    }
}
