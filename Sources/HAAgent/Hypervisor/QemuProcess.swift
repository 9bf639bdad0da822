import Foundation

/// A running domain's QEMU process on this host, found through libvirt's pid file
/// (`/run/libvirt/qemu/NAME.pid` for `qemu:///system`) and checked against its command line before
/// anything is sent to it, so a reused PID is never hit.
struct QemuProcess {
    /// libvirt's QEMU state directory, where it keeps each running domain's pid file.
    static let stateDirectory = "/run/libvirt/qemu"

    let pid: pid_t
    let domain: String

    /// The QEMU of `domain`, or nil when there is none (not running, another driver, or no pid file).
    init?(domain: String, stateDirectory: String = QemuProcess.stateDirectory) {
        guard let text = try? String(contentsOfFile: "\(stateDirectory)/\(domain).pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
              Self.runs(domain, pid: pid) else { return nil }
        self.pid = pid
        self.domain = domain
    }

    /// SIGKILL: the guest stops at once, as at a power cut.
    func kill() -> Bool { Foundation.kill(pid, SIGKILL) == 0 }

    /// Whether the process still runs as this domain's QEMU. A killed QEMU stops running once it has
    /// exited (a zombie has no command line; a reused PID has another one): its files are closed,
    /// and with them every write it had in flight is done or dropped.
    var isRunning: Bool { Self.runs(domain, pid: pid) }

    /// Whether `pid` is `domain`'s QEMU: its arguments as libvirt starts it ("-name" "guest=NAME,...").
    private static func runs(_ domain: String, pid: pid_t) -> Bool {
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains { $0 == "guest=\(domain)" || $0.hasPrefix("guest=\(domain),") }
    }
}
