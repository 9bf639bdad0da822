/// When a C handle shared by concurrent calls may be freed: once it is closed and no call uses it.
///
/// A pure state machine (kept under the owner's lock): every call takes the handle with `startCall`
/// and gives it back with `endCall`; `startClose` makes later calls fail while the calls in flight
/// finish with the handle still valid. Whoever ends the last use after a close frees the handle, so
/// a close never waits for a call (a call into a hung libvirtd may take minutes) and a call never
/// runs on a freed handle.
struct HandleLifetime<Handle> {
    enum State {
        /// Calls may start; `calls` of them are in flight.
        case open(Handle, calls: Int)
        /// Closed: no call may start, `calls` (at least one: the closer's own) still use the handle.
        case closing(Handle, calls: Int)
        /// Freed (or handed out to be freed).
        case closed
    }

    private(set) var state: State

    init(_ handle: Handle) { state = .open(handle, calls: 0) }

    /// Whether calls may still start (`close` has not begun).
    var isOpen: Bool {
        if case .open = state { true } else { false }
    }

    /// A call wants the handle: it gets it unless the handle is closing or closed, and must then
    /// give it back with `endCall`.
    mutating func startCall() -> Handle? {
        guard case .open(let handle, let calls) = state else { return nil }
        state = .open(handle, calls: calls + 1)
        return handle
    }

    /// Starts closing: later calls fail. Returns the handle for the closer's own clean-up (it counts
    /// as a call, ended with `endCall`), or nil when the handle was already closing or closed.
    mutating func startClose() -> Handle? {
        guard case .open(let handle, let calls) = state else { return nil }
        state = .closing(handle, calls: calls + 1)
        return handle
    }

    /// A use of the handle ended. Returns the handle when the caller must now free it (it ended the
    /// last use after a close).
    mutating func endCall() -> Handle? {
        switch state {
        case .open(let handle, let calls):
            precondition(calls > 0, "a call ended that never started")
            state = .open(handle, calls: calls - 1)
            return nil
        case .closing(let handle, let calls) where calls == 1:
            state = .closed
            return handle
        case .closing(let handle, let calls):
            state = .closing(handle, calls: calls - 1)
            return nil
        case .closed:
            preconditionFailure("a call ended on a handle already freed")
        }
    }
}
