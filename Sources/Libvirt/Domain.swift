internal import CLibvirt

/// A domain (virtual machine) known to a libvirt connection (`virDomainPtr`), freed when released.
///
/// Thread-safe like `Connection` (see its documentation). A `Domain` keeps its `Connection` alive;
/// once that connection is closed, its calls throw `.connectionClosed` (its name, UUID and ID, which
/// libvirt keeps in the domain object itself, stay readable).
public final class Domain: @unchecked Sendable {
    let handle: OpaquePointer
    /// The connection this domain was obtained from.
    public let connection: Connection

    init(handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { virDomainFree(handle) }

    /// The domain's name.
    public var name: String { Self.name(of: handle) }

    /// The domain's UUID as a lowercase string.
    public var uuid: String { Self.uuid(of: handle) }

    static func name(of handle: OpaquePointer) -> String { virDomainGetName(handle).map { String(cString: $0) } ?? "" }

    static func uuid(of handle: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(handle, &buffer) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The hypervisor's ID while running, nil when inactive.
    public var id: UInt32? {
        let id = virDomainGetID(handle)
        return id == UInt32.max ? nil : id
    }

    /// A C call on this domain returning `-1` on failure, run while its connection is open.
    @discardableResult
    func perform(_ call: String, _ body: () -> Int32) throws(LibvirtError) -> Int32 {
        try connection.perform(call) { _ in body() }
    }

    /// A C call on this domain returning `NULL` on failure, run while its connection is open.
    func perform<T>(_ call: String, _ body: () -> T?) throws(LibvirtError) -> T {
        try connection.perform(call) { _ in body() }
    }

    /// Whether the domain is running (or paused).
    public func isActive() throws(LibvirtError) -> Bool {
        try perform("Domain.isActive") { virDomainIsActive(handle) } == 1
    }

    /// Whether the domain has a persistent definition (survives being stopped).
    public func isPersistent() throws(LibvirtError) -> Bool {
        try perform("Domain.isPersistent") { virDomainIsPersistent(handle) } == 1
    }

    /// The state and libvirt's reason for it.
    public func state() throws(LibvirtError) -> DomainStateWithReason {
        var state: Int32 = 0
        var reason: Int32 = 0
        try perform("Domain.state") { virDomainGetState(handle, &state, &reason, 0) }
        return DomainStateWithReason(state: DomainState(rawValue: state) ?? .noState, reason: reason)
    }

    /// Memory, vCPUs and CPU time.
    public func info() throws(LibvirtError) -> DomainInfo {
        var info = virDomainInfo()
        try perform("Domain.info") { virDomainGetInfo(handle, &info) }
        return DomainInfo(info)
    }

    /// The domain's XML description.
    public func xmlDescription(_ flags: XMLFlags = []) throws(LibvirtError) -> String {
        takeString(try perform("Domain.xmlDescription") { virDomainGetXMLDesc(handle, flags.rawValue) })
    }

    /// Starts a defined domain.
    public func create(_ flags: CreateFlags = []) throws(LibvirtError) {
        try perform("Domain.create") { virDomainCreateWithFlags(handle, flags.rawValue) }
    }

    /// Asks the guest to shut down (ACPI); returns at once.
    public func shutdown() throws(LibvirtError) {
        try perform("Domain.shutdown") { virDomainShutdown(handle) }
    }

    /// Stops the domain at once (power off). With `graceful`, gives QEMU a moment to flush first.
    public func destroy(graceful: Bool = false) throws(LibvirtError) {
        let flags = graceful ? VIR_DOMAIN_DESTROY_GRACEFUL.rawValue : 0
        try perform("Domain.destroy") { virDomainDestroyFlags(handle, flags) }
    }

    /// Pauses the guest's vCPUs.
    public func suspend() throws(LibvirtError) {
        try perform("Domain.suspend") { virDomainSuspend(handle) }
    }

    /// Resumes a paused guest.
    public func resume() throws(LibvirtError) {
        try perform("Domain.resume") { virDomainResume(handle) }
    }

    /// Saves the running domain's memory to `path` and stops it; `xml` optionally replaces the
    /// definition stored in the image.
    public func save(to path: String, xml: String? = nil, flags: SaveRestoreFlags = []) throws(LibvirtError) {
        try perform("Domain.save(\(path))") { virDomainSaveFlags(handle, path, xml, flags.rawValue) }
    }

    /// Saves the domain's state to libvirt's managed location; the next `create` restores it.
    public func managedSave(_ flags: SaveRestoreFlags = []) throws(LibvirtError) {
        try perform("Domain.managedSave") { virDomainManagedSave(handle, flags.rawValue) }
    }

    /// Whether a managed-save image exists.
    public func hasManagedSaveImage() throws(LibvirtError) -> Bool {
        try perform("Domain.hasManagedSaveImage") { virDomainHasManagedSaveImage(handle, 0) } == 1
    }

    /// Removes the managed-save image.
    public func removeManagedSaveImage() throws(LibvirtError) {
        try perform("Domain.removeManagedSaveImage") { virDomainManagedSaveRemove(handle, 0) }
    }

    /// Removes the persistent definition (a running domain becomes transient).
    public func undefine(_ flags: UndefineFlags = []) throws(LibvirtError) {
        try perform("Domain.undefine") { virDomainUndefineFlags(handle, flags.rawValue) }
    }

    /// Whether the domain starts when its host's libvirtd starts.
    public func autostart() throws(LibvirtError) -> Bool {
        var value: Int32 = 0
        try perform("Domain.autostart") { virDomainGetAutostart(handle, &value) }
        return value != 0
    }

    /// Sets whether the domain starts with libvirtd. Vigil keeps HA domains off: it starts them itself.
    public func setAutostart(_ on: Bool) throws(LibvirtError) {
        try perform("Domain.setAutostart") { virDomainSetAutostart(handle, on ? 1 : 0) }
    }
}
