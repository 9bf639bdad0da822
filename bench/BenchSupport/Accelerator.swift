import Foundation

/// Whether guests on this machine run on KVM or on QEMU's TCG, and how that was found.
public struct Accelerator: Sendable, Equatable {
    /// "kvm" or "tcg".
    public let name: String
    /// Where the answer comes from.
    public let source: String

    /// The lab's probe (deploy/lab/lib/guest.sh `guest_accel`: a KVM guest really booted, cached in
    /// `<lab>/cache/accel` as `kvm` or `qemu`); nil if the lab has not probed on this machine.
    public static func labProbe(labDirectory: String) -> Accelerator? {
        guard let text = try? String(contentsOfFile: labDirectory + "/cache/accel", encoding: .utf8) else { return nil }
        return fromLabProbe(text)
    }

    /// The probe file's text as an accelerator; nil for text the lab does not write.
    public static func fromLabProbe(_ text: String) -> Accelerator? {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "kvm": Accelerator(name: "kvm", source: "lab probe (a KVM guest booted)")
        case "qemu": Accelerator(name: "tcg", source: "lab probe (no KVM guest booted)")
        default: nil
        }
    }

    /// For benchmarks that boot no guest: KVM if /dev/kvm opens read-write (not proven to boot a
    /// guest; the lab probe is), else TCG.
    public static func device() -> Accelerator {
        let fd = open("/dev/kvm", O_RDWR)
        guard fd >= 0 else { return Accelerator(name: "tcg", source: "/dev/kvm cannot be opened read-write") }
        close(fd)
        return Accelerator(name: "kvm", source: "/dev/kvm opens read-write (no guest booted)")
    }
}
