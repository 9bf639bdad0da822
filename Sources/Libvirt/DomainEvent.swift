internal import CLibvirt

/// A domain lifecycle event (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`), as delivered by libvirt's event loop.
public struct DomainEvent: Sendable, Equatable, CustomStringConvertible {
    /// What happened (`virDomainEventType`).
    public enum Kind: Int32, Sendable {
        case defined = 0, undefined, started, suspended, resumed, stopped, shutdown, pmSuspended, crashed
    }

    /// Why a domain stopped (`virDomainEventStoppedDetailType`).
    public enum StoppedDetail: Int32, Sendable {
        case shutdown = 0, destroyed, crashed, migrated, saved, failed, fromSnapshot
    }

    /// How a domain started (`virDomainEventStartedDetailType`).
    public enum StartedDetail: Int32, Sendable {
        case booted = 0, migrated, restored, fromSnapshot, wakeup
    }

    public let domainName: String
    public let domainUUID: String
    public let kind: Kind
    /// The raw detail code; see `stoppedDetail` and `startedDetail`.
    public let detail: Int32

    public init(domainName: String, domainUUID: String, kind: Kind, detail: Int32) {
        self.domainName = domainName
        self.domainUUID = domainUUID
        self.kind = kind
        self.detail = detail
    }

    /// The detail of a `stopped` event.
    public var stoppedDetail: StoppedDetail? { kind == .stopped ? StoppedDetail(rawValue: detail) : nil }
    /// The detail of a `started` event.
    public var startedDetail: StartedDetail? { kind == .started ? StartedDetail(rawValue: detail) : nil }

    public var description: String { "\(domainName): \(kind) (detail \(detail))" }
}

/// Continuations of the domain-event streams, looked up by the key libvirt passes to the callback.
typealias EventTable = CallbackTable<AsyncStream<DomainEvent>.Continuation>
let eventContinuations = EventTable()

private let lifecycleCallback: virConnectDomainEventCallback = { _, domain, event, detail, opaque in
    guard let domain, let continuation = eventContinuations.value(for: EventTable.key(opaque)) else { return 0 }
    if let kind = DomainEvent.Kind(rawValue: event) {
        continuation.yield(DomainEvent(domainName: Domain.name(of: domain), domainUUID: Domain.uuid(of: domain), kind: kind, detail: detail))
    }
    return 0
}

extension Connection {
    /// Lifecycle events of every domain on this connection (or only `domain`), from now on.
    /// Events arrive on libvirt's event-loop thread within milliseconds; the stream ends when it is
    /// cancelled or the connection closes. Each call registers its own callback; libvirt takes one per
    /// connection and domain filter (a second stream of the same kind throws `.invalidArgument`).
    public func domainEvents(of domain: Domain? = nil) throws(LibvirtError) -> AsyncStream<DomainEvent> {
        try withHandle("Connection.domainEvents") { handle throws(LibvirtError) in
            let (stream, continuation) = AsyncStream<DomainEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
            let key = eventContinuations.insert(continuation)
            continuation.onTermination = { [weak self] _ in self?.endDomainEvents(key) }
            let callbackID: Int32
            do throws(LibvirtError) {
                callbackID = try check(vigil_register_lifecycle_callback(handle, domain?.handle, lifecycleCallback, EventTable.opaque(key), nil),
                                       "Connection.domainEvents")
            } catch {
                eventContinuations.remove(key)
                throw error
            }
            if !record({ $0.eventCallbacks[key] = callbackID }) { deregisterDomainEvents(key, callbackID: callbackID, handle: handle) }
            return stream
        }
    }

    /// Deregisters one stream's callback and ends the stream.
    func deregisterDomainEvents(_ key: Int, callbackID: Int32, handle: OpaquePointer) {
        _ = virConnectDomainEventDeregisterAny(handle, callbackID)
        eventContinuations.remove(key)?.finish()
    }

    /// The consumer ended a stream: its callback is deregistered unless `close()` has taken that over.
    private func endDomainEvents(_ key: Int) {
        try? withHandle("Connection.domainEvents.cancel") { handle in
            guard let callbackID = state.withLock({ $0.eventCallbacks.removeValue(forKey: key) }) else { return }
            deregisterDomainEvents(key, callbackID: callbackID, handle: handle)
        }
    }
}
