/// Recognises a start that the disk locks refused because another host has the disks open: virtlockd's
/// lease ("resource busy: Lockspace resource '...' is locked") or QEMU's own image lock ("Failed to get
/// \"write\" lock"). Such a start is no failure of the VM: it runs elsewhere, or its old host's locks
/// are still being released.
enum DiskLockRefusal {
    /// The words libvirt and QEMU use (libvirt 9, QEMU 7.2).
    static let signatures = ["is locked", "Failed to get \"write\" lock", "Failed to get shared \"write\" lock"]

    static func matches(_ error: any Error) -> Bool {
        let text = "\(error)"
        return signatures.contains { text.contains($0) }
    }
}
