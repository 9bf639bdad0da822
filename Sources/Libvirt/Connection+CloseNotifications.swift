internal import CLibvirt

extension Connection {
    /// Why libvirt closed a connection (`virConnectCloseReason`).
    public enum CloseReason: Int32, Sendable {
        case error = 0, endOfFile = 1, keepalive = 2, client = 3
    }

    /// A stream that yields once when libvirt closes this connection from its side (daemon died,
    /// keepalive timeout, socket error), or `.client` when `close()` closes it. Only one such stream
    /// may exist per connection.
    public func closeNotifications() throws(LibvirtError) -> AsyncStream<CloseReason> {
        try withHandle("Connection.closeNotifications") { handle throws(LibvirtError) in
            let (stream, continuation) = AsyncStream<CloseReason>.makeStream()
            let key = closeContinuations.insert(continuation)
            do throws(LibvirtError) {
                try check(virConnectRegisterCloseCallback(handle, connectionClosedCallback, CloseTable.opaque(key), nil),
                          "Connection.closeNotifications")
            } catch {
                closeContinuations.remove(key)
                throw error
            }
            if !record({ $0.closeCallbackKey = key }) { unregisterCloseCallback(key, handle: handle) }
            return stream
        }
    }

    /// Unregisters the close callback and reports `.client` on its stream (the connection is closing).
    func unregisterCloseCallback(_ key: Int, handle: OpaquePointer) {
        _ = virConnectUnregisterCloseCallback(handle, connectionClosedCallback)
        if let continuation = closeContinuations.remove(key) {
            continuation.yield(.client)
            continuation.finish()
        }
    }
}

/// Continuations of the close-notification streams, looked up by the key libvirt passes to the callback.
typealias CloseTable = CallbackTable<AsyncStream<Connection.CloseReason>.Continuation>
let closeContinuations = CloseTable()

private let connectionClosedCallback: virConnectCloseFunc = { _, reason, opaque in
    guard let continuation = closeContinuations.remove(CloseTable.key(opaque)) else { return }
    continuation.yield(Connection.CloseReason(rawValue: reason) ?? .error)
    continuation.finish()
}
