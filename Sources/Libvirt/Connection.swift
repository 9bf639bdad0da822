internal import CLibvirt
import Synchronization

/// A connection to a libvirt daemon or driver (`virConnectPtr`), closed when released or by `close()`.
///
/// Concurrency: libvirt documents `virConnectPtr` and `virDomainPtr` as thread-safe (one connection may
/// serve calls from many threads at once), so `Connection` and `Domain` are `@unchecked Sendable`: the
/// only Swift state they add is behind a `Mutex`. The C error of a failed call is thread-local, so it is
/// copied synchronously inside the same wrapper call (see `check`). This is the one place that decision
/// is made; no other type in this module opts out of Sendable checking.
///
/// Closing: every call (on the connection or on one of its domains) holds the C handle for as long as
/// it runs (`HandleLifetime`), so `close()` may race calls in flight on other threads: it returns at
/// once, later calls throw `.connectionClosed`, and the handle is released when the last call ends.
/// A `Domain` keeps libvirt's own reference to the connection, so libvirt frees it only once its
/// domains are released too.
public final class Connection: @unchecked Sendable {
    /// The URI this connection was opened with.
    public let uri: String
    /// Whether it was opened read-only.
    public let readOnly: Bool
    let state: Mutex<State>

    /// The handle's lifetime and the callbacks registered on it, changed together under one lock so
    /// that a registration racing `close()` is either cleaned up by the close or sees it and undoes itself.
    struct State {
        var lifetime: HandleLifetime<OpaquePointer>
        /// Domain-event streams: their key in the callback table and libvirt's callback ID.
        var eventCallbacks: [Int: Int32] = [:]
        /// The close-notification stream's key in `closeContinuations`, once registered.
        var closeCallbackKey: Int?
    }

    /// Opens `uri` (e.g. `qemu:///system`, `test:///default`, `qemu+tcp://host/system`).
    public init(uri: String, readOnly: Bool = false) throws(LibvirtError) {
        EventLoop.ensureRunning()
        let flags = readOnly ? UInt32(VIR_CONNECT_RO.rawValue) : 0
        let handle = try check(virConnectOpenAuth(uri, vigil_virConnectAuthPtrDefault(), flags), "Connection.open(\(uri))")
        self.uri = uri
        self.readOnly = readOnly
        self.state = Mutex(State(lifetime: HandleLifetime(handle)))
    }

    deinit { close() }

    /// Closes the connection: calls from now on throw `.connectionClosed`, close notifications report
    /// `.client` and domain-event streams end. Calls in flight on other threads finish first with
    /// the handle still valid; it is released when the last of them ends. Safe to call more than once.
    public func close() {
        guard let (handle, events, closeKey) = state.withLock({ state -> (OpaquePointer, [Int: Int32], Int?)? in
            guard let handle = state.lifetime.startClose() else { return nil }
            defer { state.eventCallbacks = [:]; state.closeCallbackKey = nil }
            return (handle, state.eventCallbacks, state.closeCallbackKey)
        }) else { return }
        defer { endCall() }
        if let closeKey { unregisterCloseCallback(closeKey, handle: handle) }
        for (key, callbackID) in events { deregisterDomainEvents(key, callbackID: callbackID, handle: handle) }
    }

    /// Runs `body` with the C handle, which stays valid until it returns even if `close()` runs meanwhile;
    /// throws `.connectionClosed` once the connection is closed.
    func withHandle<T>(_ call: String, _ body: (OpaquePointer) throws(LibvirtError) -> T) throws(LibvirtError) -> T {
        guard let handle = state.withLock({ $0.lifetime.startCall() }) else { throw .connectionClosed(uri: uri, call: call) }
        defer { endCall() }
        return try body(handle)
    }

    /// A C call returning `-1` on failure, with the handle held while it runs.
    @discardableResult
    func perform(_ call: String, _ body: (OpaquePointer) -> Int32) throws(LibvirtError) -> Int32 {
        try withHandle(call) { handle throws(LibvirtError) in try check(body(handle), call) }
    }

    /// A C call returning `NULL` on failure, with the handle held while it runs.
    func perform<T>(_ call: String, _ body: (OpaquePointer) -> T?) throws(LibvirtError) -> T {
        try withHandle(call) { handle throws(LibvirtError) in try check(body(handle), call) }
    }

    /// Records a callback registered during a call unless `close()` started meanwhile: that close did
    /// not see it, so the caller must undo the registration. Returns whether it was recorded.
    func record(_ registration: (inout State) -> Void) -> Bool {
        state.withLock { state in
            guard state.lifetime.isOpen else { return false }
            registration(&state)
            return true
        }
    }

    /// Ends one use of the handle, releasing it when that was the last use after `close()`.
    private func endCall() {
        if let handle = state.withLock({ $0.lifetime.endCall() }) { virConnectClose(handle) }
    }

    /// Whether the connection is open and its transport alive.
    public var isAlive: Bool {
        (try? withHandle("Connection.isAlive") { virConnectIsAlive($0) == 1 }) ?? false
    }

    /// Starts keepalive probes every `interval` seconds; after `count` unanswered probes the connection
    /// is closed (and `closeNotifications` reports `.keepalive`). Returns false when the other side does
    /// not support keepalive (local drivers such as `test:///`).
    @discardableResult
    public func setKeepAlive(interval: Int32, count: UInt32) throws(LibvirtError) -> Bool {
        try perform("Connection.setKeepAlive") { virConnectSetKeepAlive($0, interval, count) } == 0
    }

    /// The host name of the hypervisor host.
    public func hostname() throws(LibvirtError) -> String {
        takeString(try perform("Connection.hostname") { virConnectGetHostname($0) })
    }

    /// CPU, memory and topology of the host.
    public func nodeInfo() throws(LibvirtError) -> NodeInfo {
        var info = virNodeInfo()
        try perform("Connection.nodeInfo") { virNodeGetInfo($0, &info) }
        return NodeInfo(info)
    }

    /// Free memory on the host in bytes.
    public func freeMemory() throws(LibvirtError) -> UInt64 {
        try withHandle("Connection.freeMemory") { handle throws(LibvirtError) in
            let free = virNodeGetFreeMemory(handle)
            if free == 0, let err = virGetLastError(), err.pointee.code != 0 { throw LibvirtError.last(call: "Connection.freeMemory") }
            return UInt64(free)
        }
    }

    /// The capabilities XML of the host and its hypervisor.
    public func capabilities() throws(LibvirtError) -> String {
        takeString(try perform("Connection.capabilities") { virConnectGetCapabilities($0) })
    }

    /// Compares a `<cpu>` XML description with the host CPU.
    public func compareCPU(xml: String) throws(LibvirtError) -> CPUComparison {
        try withHandle("Connection.compareCPU") { handle throws(LibvirtError) in
            switch virConnectCompareCPU(handle, xml, 0) {
            case VIR_CPU_COMPARE_INCOMPATIBLE.rawValue: return .incompatible
            case VIR_CPU_COMPARE_IDENTICAL.rawValue: return .identical
            case VIR_CPU_COMPARE_SUPERSET.rawValue: return .superset
            default: throw LibvirtError.last(call: "Connection.compareCPU")
            }
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
        try perform("Connection.daemonVersion") { virConnectGetLibVersion($0, &version) }
        return LibvirtVersion(encoded: version)
    }

    /// The hypervisor's version (e.g. QEMU 7.2.0 as 7.2.0).
    public func hypervisorVersion() throws(LibvirtError) -> LibvirtVersion {
        var version: UInt = 0
        try perform("Connection.hypervisorVersion") { virConnectGetVersion($0, &version) }
        return LibvirtVersion(encoded: version)
    }
}
