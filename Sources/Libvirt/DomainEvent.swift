import CLibvirt

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

private typealias EventContinuation = AsyncStream<DomainEvent>.Continuation
private let eventContinuations = CallbackTable<EventContinuation>()

private let lifecycleCallback: virConnectDomainEventCallback = { _, domain, event, detail, opaque in
    guard let domain, let continuation = eventContinuations.value(for: CallbackTable<EventContinuation>.key(opaque)) else { return 0 }
    let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
    var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
    _ = virDomainGetUUIDString(domain, &buffer)
    let uuid = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if let kind = DomainEvent.Kind(rawValue: event) {
        continuation.yield(DomainEvent(domainName: name, domainUUID: uuid, kind: kind, detail: detail))
    }
    return 0
}

extension Connection {
    /// Lifecycle events of every domain on this connection (or only `domain`), from now on.
    /// Events arrive on libvirt's event-loop thread within milliseconds; the stream ends when it is
    /// cancelled or the connection closes. Each call registers its own callback.
    public func domainEvents(of domain: Domain? = nil) throws(LibvirtError) -> AsyncStream<DomainEvent> {
        let (stream, continuation) = AsyncStream<DomainEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let key = eventContinuations.insert(continuation)
        let h = try handle(#function)
        let callbackID: Int32
        do {
            callbackID = try check(vigil_register_lifecycle_callback(h, domain?.handle, lifecycleCallback, CallbackTable<EventContinuation>.opaque(key), nil),
                                   "Connection.domainEvents")
        } catch {
            eventContinuations.remove(key)
            throw error
        }
        eventStreamKeys.withLock { _ = $0.insert(key) }
        continuation.onTermination = { [weak self] _ in
            eventContinuations.remove(key)
            self?.eventStreamKeys.withLock { _ = $0.remove(key) }
            if let h = try? self?.handle("Connection.domainEvents.cancel") {
                _ = virConnectDomainEventDeregisterAny(h, callbackID)
            }
        }
        return stream
    }
}

extension Connection {
    /// Ends every domain-event stream of this connection (it is closing).
    func finishDomainEventStreams() {
        let keys = eventStreamKeys.withLock { keys in defer { keys = [] }; return keys }
        for key in keys { eventContinuations.remove(key)?.finish() }
    }
}
