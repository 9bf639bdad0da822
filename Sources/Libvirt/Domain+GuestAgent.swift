internal import CLibvirt

/// Calls the QEMU guest agent answers from inside the running guest (through the domain's
/// `org.qemu.guest_agent.0` channel): they prove the guest OS itself runs, not only QEMU.
extension Domain {
    /// The guest's clock as read by its guest agent (`guest-get-time`): a round trip into the
    /// guest OS. Fails when the agent is not connected or does not answer in time.
    public func guestTime() throws(LibvirtError) -> GuestTime {
        var seconds: Int64 = 0
        var nanoseconds: UInt32 = 0
        try perform("Domain.guestTime") { virDomainGetTime(handle, &seconds, &nanoseconds, 0) }
        return GuestTime(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// How long libvirt waits for the guest agent's answer to each command on this domain (by
    /// default it waits forever once the agent has answered its sync).
    public func setGuestAgentTimeout(seconds: Int32) throws(LibvirtError) {
        try perform("Domain.setGuestAgentTimeout") { virDomainAgentSetResponseTimeout(handle, seconds, 0) }
    }

    /// The domain's name for the guest agent's virtio-serial channel.
    public static let guestAgentChannel = "org.qemu.guest_agent.0"
}

/// A guest's wall clock: seconds and nanoseconds since the Unix epoch.
public struct GuestTime: Sendable, Hashable {
    public let seconds: Int64
    public let nanoseconds: UInt32
}
