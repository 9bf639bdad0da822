import Synchronization

/// Connections to one libvirt URI, each serving one call at a time.
///
/// libvirt's RPC client lets many threads share a connection: one thread dispatches ("has the
/// buck") and a thread that queues a call wakes it with `g_main_loop_quit`. The woken dispatcher's
/// socket watch stays attached to the client's GLib context, holding a pointer into that thread's
/// stack; once the dispatcher returns, a later dispatcher can run the stale watch and the process
/// dies (SIGSEGV in `g_main_loop_quit`). Calls that queue behind a slow one are what it takes, so
/// a libvirtd that hangs and then answers crashed vigild this way (libvirt 9.0, 3 runs in 17 of
/// `testHungLibvirtdMakesItsHostTakeNoGroupsAndStopsNoGuest`). A call on a connection of its own
/// never wakes another thread's dispatch: the pool hands each call an idle connection or opens one.
public final class ConnectionPool: Sendable {
    /// The URI every connection of the pool is opened with.
    public let uri: String
    private let idle: Mutex<[Connection]>
    private let maximumIdle: Int

    /// A pool for `uri`, keeping at most `maximumIdle` idle connections open (it opens the first on the first call).
    public init(uri: String, maximumIdle: Int = 4) {
        self.uri = uri
        self.maximumIdle = maximumIdle
        self.idle = Mutex([])
    }

    deinit { idle.withLock { $0 }.forEach { $0.close() } }

    /// Runs `body` with a connection no other call uses meanwhile: an idle one that is still alive,
    /// else a new one (opening it fails as a call would while libvirtd is down; it waits while it hangs).
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    /// How many idle connections the pool holds now.
    public var idleCount: Int { idle.withLock { $0.count } }

    private func checkOut() throws(LibvirtError) -> Connection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if connection.isAlive { return connection }
            connection.close()  // libvirtd restarted or died: its socket is gone
        }
        return try Connection(uri: uri)
    }

    private func checkIn(_ connection: Connection) {
        guard connection.isAlive else { return connection.close() }
        let kept = idle.withLock { list -> Bool in
            guard list.count < maximumIdle else { return false }
            list.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}
