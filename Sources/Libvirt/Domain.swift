import CLibvirt

/// A domain (virtual machine) known to a libvirt connection (`virDomainPtr`), freed when released.
///
/// Thread-safe like `Connection` (see its documentation). A `Domain` keeps its `Connection` alive.
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
    public var name: String { virDomainGetName(handle).map { String(cString: $0) } ?? "" }

    /// The domain's UUID as a lowercase string.
    public var uuid: String {
        var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(handle, &buffer) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The hypervisor's ID while running, nil when inactive.
    public var id: UInt32? {
        let id = virDomainGetID(handle)
        return id == UInt32.max ? nil : id
    }

    /// Whether the domain is running (or paused).
    public func isActive() throws(LibvirtError) -> Bool {
        try check(virDomainIsActive(handle), "Domain.isActive") == 1
    }

    /// Whether the domain has a persistent definition (survives being stopped).
    public func isPersistent() throws(LibvirtError) -> Bool {
        try check(virDomainIsPersistent(handle), "Domain.isPersistent") == 1
    }

    /// The state and libvirt's reason for it.
    public func state() throws(LibvirtError) -> DomainStateWithReason {
        var state: Int32 = 0
        var reason: Int32 = 0
        try check(virDomainGetState(handle, &state, &reason, 0), "Domain.state")
        return DomainStateWithReason(state: DomainState(rawValue: state) ?? .noState, reason: reason)
    }

    /// Memory, vCPUs and CPU time.
    public func info() throws(LibvirtError) -> DomainInfo {
        var info = virDomainInfo()
        try check(virDomainGetInfo(handle, &info), "Domain.info")
        return DomainInfo(info)
    }

    /// The domain's XML description.
    public func xmlDescription(_ flags: XMLFlags = []) throws(LibvirtError) -> String {
        takeString(try check(virDomainGetXMLDesc(handle, flags.rawValue), "Domain.xmlDescription"))
    }

    /// Starts a defined domain.
    public func create(_ flags: CreateFlags = []) throws(LibvirtError) {
        try check(virDomainCreateWithFlags(handle, flags.rawValue), "Domain.create")
    }

    /// Asks the guest to shut down (ACPI); returns at once.
    public func shutdown() throws(LibvirtError) {
        try check(virDomainShutdown(handle), "Domain.shutdown")
    }

    /// Stops the domain at once (power off). With `graceful`, gives QEMU a moment to flush first.
    public func destroy(graceful: Bool = false) throws(LibvirtError) {
        let flags = graceful ? VIR_DOMAIN_DESTROY_GRACEFUL.rawValue : 0
        try check(virDomainDestroyFlags(handle, flags), "Domain.destroy")
    }

    /// Pauses the guest's vCPUs.
    public func suspend() throws(LibvirtError) {
        try check(virDomainSuspend(handle), "Domain.suspend")
    }

    /// Resumes a paused guest.
    public func resume() throws(LibvirtError) {
        try check(virDomainResume(handle), "Domain.resume")
    }

    /// Saves the running domain's memory to `path` and stops it; `xml` optionally replaces the
    /// definition stored in the image.
    public func save(to path: String, xml: String? = nil, flags: SaveRestoreFlags = []) throws(LibvirtError) {
        try check(virDomainSaveFlags(handle, path, xml, flags.rawValue), "Domain.save(\(path))")
    }

    /// Saves the domain's state to libvirt's managed location; the next `create` restores it.
    public func managedSave(_ flags: SaveRestoreFlags = []) throws(LibvirtError) {
        try check(virDomainManagedSave(handle, flags.rawValue), "Domain.managedSave")
    }

    /// Whether a managed-save image exists.
    public func hasManagedSaveImage() throws(LibvirtError) -> Bool {
        try check(virDomainHasManagedSaveImage(handle, 0), "Domain.hasManagedSaveImage") == 1
    }

    /// Removes the managed-save image.
    public func removeManagedSaveImage() throws(LibvirtError) {
        try check(virDomainManagedSaveRemove(handle, 0), "Domain.removeManagedSaveImage")
    }

    /// Removes the persistent definition (a running domain becomes transient).
    public func undefine(_ flags: UndefineFlags = []) throws(LibvirtError) {
        try check(virDomainUndefineFlags(handle, flags.rawValue), "Domain.undefine")
    }

    /// Whether the domain starts when its host's libvirtd starts.
    public func autostart() throws(LibvirtError) -> Bool {
        var value: Int32 = 0
        try check(virDomainGetAutostart(handle, &value), "Domain.autostart")
        return value != 0
    }

    /// Sets whether the domain starts with libvirtd. Vigil keeps HA domains off: it starts them itself.
    public func setAutostart(_ on: Bool) throws(LibvirtError) {
        try check(virDomainSetAutostart(handle, on ? 1 : 0), "Domain.setAutostart")
    }
}
