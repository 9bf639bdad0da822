import Foundation

/// A running domain's QEMU process on this host, found through libvirt's pid file
/// (`/run/libvirt/qemu/NAME.pid` for `qemu:///system`) and checked against its command line before
/// anything is sent to it, so a reused PID is never hit.
struct QemuProcess {
    /// libvirt's QEMU state directory, where it keeps each running domain's pid file.
    static let stateDirectory = "/run/libvirt/qemu"

    let pid: pid_t

    /// The QEMU of `domain`, or nil when there is none (not running, another driver, or no pid file).
    init?(domain: String, stateDirectory: String = QemuProcess.stateDirectory) {
        guard let text = try? String(contentsOfFile: "\(stateDirectory)/\(domain).pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
              let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        // QEMU's arguments as libvirt starts it: "-name" "guest=NAME,debug-threads=on".
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.contains(where: { $0 == "guest=\(domain)" || $0.hasPrefix("guest=\(domain),") }) else { return nil }
        self.pid = pid
    }

    /// SIGKILL: the guest stops at once, as at a power cut (nothing more reaches its disks).
    func kill() -> Bool { Foundation.kill(pid, SIGKILL) == 0 }
}
