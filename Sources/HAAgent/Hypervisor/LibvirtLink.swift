import Blocking
import HACore
import Libvirt
import Synchronization

/// The connection to this host's libvirtd, kept up. libvirtd may die (kill -9, a crash, a package
/// upgrade's restart) or hang (kill -STOP, a deadlock) while QEMU runs on. Keepalive probes tell a
/// hung daemon within `keepAliveInterval × (keepAliveCount + 1)` seconds, and libvirt then closes
/// the connection, failing the calls in flight (so a call on a hung libvirtd is bounded too); the
/// close callback reports it. The link then reconnects with backoff, registers for domain events
/// again and reports it back: domain events go on on the one stream `domainEvents()` returned,
/// and every loss and return is on `linkChanges()`.
final class LibvirtLink: Sendable {
    /// How the link watches and reopens the connection.
    struct Settings: Sendable {
        /// Seconds between keepalive probes, and unanswered probes after which the connection is closed.
        var keepAliveInterval: Int32 = 3
        var keepAliveCount: UInt32 = 3
        /// Waits before each reconnection attempt; the last repeats.
        var retryDelays: [Duration] = [.milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)]

        func delay(before attempt: Int) -> Duration { retryDelays[min(attempt, retryDelays.count - 1)] }
    }

    private let shared: Shared

    /// What the supervising task shares with the link (not the link itself, so that releasing the
    /// link closes the connection and ends the task).
    private final class Shared: Sendable {
        let uri: String
        let settings: Settings
        let current: Mutex<Connection>
        let released = Atomic(false)
        let events = AsyncStream<DomainEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let changes = AsyncStream<HypervisorLink>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let watching = Atomic(false)

        init(_ connection: Connection, settings: Settings) {
            self.uri = connection.uri
            self.settings = settings
            self.current = Mutex(connection)
        }
    }

    /// What a connection is watched through.
    private struct Attachment: Sendable {
        let events: AsyncStream<DomainEvent>
        /// Nil for drivers that never close on their own (`test:///`).
        let closed: AsyncStream<Connection.CloseReason>?
    }

    init(_ connection: Connection, settings: Settings = Settings()) {
        shared = Shared(connection, settings: settings)
    }

    deinit {
        shared.released.store(true, ordering: .sequentiallyConsistent)
        connection.close()
    }

    /// The current connection: the last one opened (calls on it fail while libvirtd is unreachable).
    var connection: Connection { shared.current.withLock { $0 } }

    /// Losses and returns of the connection, from `domainEvents()` on.
    func linkChanges() -> AsyncStream<HypervisorLink> { shared.changes.stream }

    /// Starts watching (once): domain events, keepalive and the close callback on the connection,
    /// and reconnects whenever libvirt closes it. The stream ends only when the link is released.
    func domainEvents() throws -> AsyncStream<DomainEvent> {
        guard !shared.watching.exchange(true, ordering: .sequentiallyConsistent) else { throw LibvirtLinkError.alreadyWatched }
        let first = connection
        let attachment = try Self.attach(first, shared.settings)
        Task.detached { [shared] in await Self.supervise(shared, first, attachment) }
        return shared.events.stream
    }

    /// Keepalive, domain events and the close callback on a connection (blocking round trips).
    private static func attach(_ connection: Connection, _ settings: Settings) throws -> Attachment {
        _ = try? connection.setKeepAlive(interval: settings.keepAliveInterval, count: settings.keepAliveCount)  // local drivers have none
        let events = try connection.domainEvents()
        return Attachment(events: events, closed: try? connection.closeNotifications())
    }

    private static func supervise(_ shared: Shared, _ first: Connection, _ firstAttachment: Attachment) async {
        var connection = first
        var attachment = firstAttachment
        while true {
            let forwarding = Task { [events = attachment.events, sink = shared.events.continuation] in
                for await event in events { sink.yield(event) }
            }
            var reason = Connection.CloseReason.client
            if let closed = attachment.closed {
                for await r in closed { reason = r; break }
            } else {
                await forwarding.value
            }
            guard reason != .client, !shared.released.load(ordering: .sequentiallyConsistent) else {
                forwarding.cancel()
                shared.events.continuation.finish()
                shared.changes.continuation.finish()
                return
            }
            shared.changes.continuation.yield(.lost(reason: "\(reason)"))
            connection.close()  // ends its domain-event stream
            await forwarding.value
            guard let (fresh, attached) = await reconnect(shared) else {
                shared.events.continuation.finish()
                shared.changes.continuation.finish()
                return
            }
            (connection, attachment) = (fresh, attached)
            shared.current.withLock { $0 = fresh }
            shared.changes.continuation.yield(.restored)
        }
    }

    /// Opens and attaches a fresh connection, with backoff between attempts, until one succeeds (nil
    /// once the link is released). An attempt on a hung libvirtd waits until it answers: nothing
    /// else waits for it, and one attempt at a time is all the threads a hang costs.
    private static func reconnect(_ shared: Shared) async -> (Connection, Attachment)? {
        var attempt = 0
        while !shared.released.load(ordering: .sequentiallyConsistent) {
            try? await Task.sleep(for: shared.settings.delay(before: attempt))
            attempt += 1
            let (uri, settings) = (shared.uri, shared.settings)
            let opened = try? await BlockingCall.run("vigil-libvirt-connect") { () throws -> (Connection, Attachment) in
                let connection = try Connection(uri: uri)
                do { return (connection, try attach(connection, settings)) } catch {
                    connection.close()
                    throw error
                }
            }
            if let opened { return opened }
        }
        return nil
    }
}

/// Misuse of a `LibvirtLink`.
enum LibvirtLinkError: Error, CustomStringConvertible {
    case alreadyWatched

    var description: String { "this host's libvirt connection is already watched: domain events have one consumer" }
}
