import CLibvirt
import Synchronization

/// A connection to a libvirt daemon or driver (`virConnectPtr`), closed when released or by `close()`.
///
/// Concurrency: libvirt documents `virConnectPtr` and `virDomainPtr` as thread-safe (one connection may
/// serve calls from many threads at once), so `Connection` and `Domain` are `@unchecked Sendable`: the
/// only Swift state they add is behind a `Mutex`. The C error of a failed call is thread-local, so it is
/// copied synchronously inside the same wrapper call (see `check`). This is the one place that decision
/// is made; no other type in this module opts out of Sendable checking.
public final class Connection: @unchecked Sendable {
    /// The URI this connection was opened with.
    public let uri: String
    /// Whether it was opened read-only.
    public let readOnly: Bool
    private let pointer: Mutex<OpaquePointer?>
    private let closeCallbackKey = Mutex<Int?>(nil)
    /// Keys of this connection's domain-event streams, finished when the connection closes.
    let eventStreamKeys = Mutex<Set<Int>>([])

    /// Opens `uri` (e.g. `qemu:///system`, `test:///default`, `qemu+tcp://host/system`).
    public init(uri: String, readOnly: Bool = false) throws(LibvirtError) {
        EventLoop.ensureRunning()
        let flags = readOnly ? UInt32(VIR_CONNECT_RO.rawValue) : 0
        let handle = try check(virConnectOpenAuth(uri, vigil_virConnectAuthPtrDefault(), flags), "Connection.open(\(uri))")
        self.uri = uri
        self.readOnly = readOnly
        self.pointer = Mutex(handle)
    }

    deinit { close() }

    /// Closes the connection; later calls fail with `.noConnect`. Safe to call more than once.
    /// Must not race with calls still in flight on this connection.
    public func close() {
        guard let handle = pointer.withLock({ p -> OpaquePointer? in defer { p = nil }; return p }) else { return }
        if let key = closeCallbackKey.withLock({ $0 }) {
            _ = virConnectUnregisterCloseCallback(handle, connectionClosedCallback)
            if let continuation = closeContinuations.remove(key) {
                continuation.yield(.client)
                continuation.finish()
            }
        }
        finishDomainEventStreams()
        virConnectClose(handle)
    }

    /// The live C handle, or `.noConnect` once closed.
    func handle(_ call: String) throws(LibvirtError) -> OpaquePointer {
        guard let handle = pointer.withLock({ $0 }) else {
            throw LibvirtError(code: .noConnect, domain: 0, message: "connection to \(uri) is closed", call: call)
        }
        return handle
    }

    /// Whether the connection is open and its transport alive.
    public var isAlive: Bool {
        guard let handle = pointer.withLock({ $0 }) else { return false }
        return virConnectIsAlive(handle) == 1
    }

    /// Starts keepalive probes every `interval` seconds; after `count` unanswered probes the connection
    /// is closed (and `closeNotifications` reports `.keepalive`). Returns false when the other side does
    /// not support keepalive (local drivers such as `test:///`).
    @discardableResult
    public func setKeepAlive(interval: Int32, count: UInt32) throws(LibvirtError) -> Bool {
        try check(virConnectSetKeepAlive(handle(#function), interval, count), "Connection.setKeepAlive") == 0
    }

    /// The host name of the hypervisor host.
    public func hostname() throws(LibvirtError) -> String {
        takeString(try check(virConnectGetHostname(handle(#function)), "Connection.hostname"))
    }

    /// CPU, memory and topology of the host.
    public func nodeInfo() throws(LibvirtError) -> NodeInfo {
        var info = virNodeInfo()
        try check(virNodeGetInfo(handle(#function), &info), "Connection.nodeInfo")
        return NodeInfo(info)
    }

    /// Free memory on the host in bytes.
    public func freeMemory() throws(LibvirtError) -> UInt64 {
        let h = try handle(#function)
        let free = virNodeGetFreeMemory(h)
        if free == 0, let err = virGetLastError(), err.pointee.code != 0 { throw LibvirtError.last(call: "Connection.freeMemory") }
        return UInt64(free)
    }

    /// The capabilities XML of the host and its hypervisor.
    public func capabilities() throws(LibvirtError) -> String {
        takeString(try check(virConnectGetCapabilities(handle(#function)), "Connection.capabilities"))
    }

    /// Compares a `<cpu>` XML description with the host CPU.
    public func compareCPU(xml: String) throws(LibvirtError) -> CPUComparison {
        let result = virConnectCompareCPU(try handle(#function), xml, 0)
        switch result {
        case VIR_CPU_COMPARE_INCOMPATIBLE.rawValue: return .incompatible
        case VIR_CPU_COMPARE_IDENTICAL.rawValue: return .identical
        case VIR_CPU_COMPARE_SUPERSET.rawValue: return .superset
        default: throw LibvirtError.last(call: "Connection.compareCPU")
        }
    }

    /// The version of the libvirt library linked into this process.
    public static func libraryVersion() throws(LibvirtError) -> LibvirtVersion {
        var version: UInt = 0
        try check(virGetVersion(&version, nil, nil), "Connection.libraryVersion")
        return LibvirtVersion(encoded: version)
    }

    /// The version of libvirt on the other side (the daemon, or the library for local drivers).
    public func daemonVersion() throws(LibvirtError) -> LibvirtVersion {
        var version: UInt = 0
        try check(virConnectGetLibVersion(handle(#function), &version), "Connection.daemonVersion")
        return LibvirtVersion(encoded: version)
    }

    /// The hypervisor's version (e.g. QEMU 7.2.0 as 7.2.0).
    public func hypervisorVersion() throws(LibvirtError) -> LibvirtVersion {
        var version: UInt = 0
        try check(virConnectGetVersion(handle(#function), &version), "Connection.hypervisorVersion")
        return LibvirtVersion(encoded: version)
    }

    // MARK: Close notification

    /// Why libvirt closed a connection (`virConnectCloseReason`).
    public enum CloseReason: Int32, Sendable {
        case error = 0, endOfFile = 1, keepalive = 2, client = 3
    }

    /// A stream that yields once when libvirt closes this connection from its side (daemon died,
    /// keepalive timeout, socket error). Only one such stream may exist per connection.
    public func closeNotifications() throws(LibvirtError) -> AsyncStream<CloseReason> {
        let (stream, continuation) = AsyncStream<CloseReason>.makeStream()
        let key = closeContinuations.insert(continuation)
        let h = try handle(#function)
        do {
            try check(virConnectRegisterCloseCallback(h, connectionClosedCallback, CallbackTable<AsyncStream<CloseReason>.Continuation>.opaque(key), nil),
                      "Connection.closeNotifications")
        } catch {
            closeContinuations.remove(key)
            throw error
        }
        closeCallbackKey.withLock { $0 = key }
        return stream
    }
}

let closeContinuations = CallbackTable<AsyncStream<Connection.CloseReason>.Continuation>()

private let connectionClosedCallback: virConnectCloseFunc = { _, reason, opaque in
    let key = CallbackTable<AsyncStream<Connection.CloseReason>.Continuation>.key(opaque)
    guard let continuation = closeContinuations.remove(key) else { return }
    continuation.yield(Connection.CloseReason(rawValue: reason) ?? .error)
    continuation.finish()
}
