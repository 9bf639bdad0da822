import Foundation
import HAAgent
import LabSupport
import Libvirt
import Testing

extension LabTests {
    /// vigild's `HostWatchdog` against the lab's emulated watchdog (`lab watchdog`, a process outside
    /// the host reading the host's /run/watchdog FIFO): not petted in time, it powers the host off;
    /// a magic close disarms it.
    @Suite("Emulated host watchdog (real libvirtd hosts)")
    struct LabWatchdogTests {
        static let timeout = 3.0

        /// Whether the host's libvirtd answers (a powered-off host's does not).
        static func libvirtAnswers(_ host: Lab.Host) async -> Bool {
            (try? await LabGuest.blocking(within: 10) { _ = try Connection(uri: host.uri).hostname() }) != nil
        }

        /// Polls `condition` every 100 ms for at most `seconds`; returns when it held (nil: it never did).
        static func waitUntil(within seconds: Double, _ condition: () async -> Bool) async throws -> Double? {
            let end = labNow() + seconds
            while labNow() < end {
                if await condition() { return labNow() }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }

        /// The emulator's "fired <unix-time> last-pet <unix-time>" line, if it fired.
        static func fired(_ lab: Lab, _ host: String) -> (at: Double, lastPet: Double)? {
            let text = (try? String(contentsOfFile: lab.watchdogLog(host), encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("fired ") }) else { return nil }
            let f = line.split(separator: " ")
            guard f.count == 4, let at = Double(f[1]), let pet = Double(f[3]) else { return nil }
            return (at, pet)
        }

        static func events(_ lab: Lab, _ host: String) -> [String] {
            ((try? String(contentsOfFile: lab.watchdogLog(host), encoding: .utf8)) ?? "")
                .split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        }

        @Test("petted past its timeout the host stays up; then a hung agent (device held open) and a crashed one (closed without 'V') get their hosts powered off")
        func unpettedWatchdogPowersTheHostOff() async throws {
            try await Lab.with(hosts: 2) { lab in
                let (h1, h2) = (try lab.host("h1"), try lab.host("h2"))
                let hung = try HostWatchdog(path: try await lab.watchdog("h1", timeoutSeconds: Self.timeout), timeoutSeconds: Int(Self.timeout))
                var crashed: HostWatchdog? = try HostWatchdog(path: try await lab.watchdog("h2", timeoutSeconds: Self.timeout),
                                                              timeoutSeconds: Int(Self.timeout))
                #expect(!hung.isCharacterDevice && hung.timeoutSeconds == Int(Self.timeout))
                var lastPet = 0.0
                let petting = labNow()
                while labNow() - petting < 2 * Self.timeout {  // twice the timeout: only the pets keep the hosts up
                    try await Task.sleep(for: .milliseconds(500))
                    try hung.pet()
                    try crashed?.pet()
                    lastPet = labNow()
                }
                #expect(await Self.libvirtAnswers(h1), "a petted watchdog must not fire")
                #expect(await Self.libvirtAnswers(h2), "a petted watchdog must not fire")
                #expect(Self.fired(lab, "h1") == nil && Self.fired(lab, "h2") == nil)

                crashed = nil  // closed without the magic character, as kill -9 would
                let h1Down = try await Self.waitUntil(within: 4 * Self.timeout + 10) { await !Self.libvirtAnswers(h1) }
                let h2Down = try await Self.waitUntil(within: 10) { await !Self.libvirtAnswers(h2) }
                withExtendedLifetime(hung) {}
                for (name, down) in [("h1 (hung agent)", h1Down), ("h2 (crashed agent)", h2Down)] {
                    let host = String(name.prefix(2))
                    let fired = Self.fired(lab, host)
                    print("[lab] watchdog of \(name), timeout \(Self.timeout) s: fired \(fired.map { LabGuest.seconds($0.at - $0.lastPet) } ?? "never") "
                          + "after its last pet (test's last pet: \(fired.map { LabGuest.seconds($0.at - lastPet) } ?? "-") before firing); "
                          + "libvirtd stopped answering \(down.map { LabGuest.seconds($0 - lastPet) } ?? "never") after the last pet; "
                          + "events: \(Self.events(lab, host))")
                    #expect(down != nil, "the watchdog of \(name) must power the host off")
                    #expect(fired != nil, "the emulator must log when it fired")
                }
                #expect(Self.events(lab, "h2").contains("released-armed"), "a close without 'V' leaves it armed")
                let status = try await lab.script.run(["status"])
                print("[lab] status after both watchdogs fired:\n\(status)")
                #expect(status.split(separator: "\n").allSatisfy { $0.contains(" down ") }, "both hosts are powered off")
            }
        }

        @Test("a magic close ('V', then close) disarms the watchdog: the host is still up after twice its timeout")
        func magicCloseDisarms() async throws {
            try await Lab.with(hosts: 1) { lab in
                let h1 = try lab.host("h1")
                let watchdog = try HostWatchdog(path: try await lab.watchdog("h1", timeoutSeconds: Self.timeout), timeoutSeconds: Int(Self.timeout))
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(500))
                    try watchdog.pet()
                }
                try watchdog.disarm()
                let disarmed = labNow()
                try await Task.sleep(for: .seconds(2 * Self.timeout))
                let up = await Self.libvirtAnswers(h1)
                print("[lab] disarmed watchdog: host up \(LabGuest.seconds(labNow() - disarmed)) after the magic close: \(up); "
                      + "events: \(Self.events(lab, "h1"))")
                #expect(up, "a disarmed watchdog must not power the host off")
                #expect(Self.fired(lab, "h1") == nil)
                #expect(Self.events(lab, "h1").contains("disarmed"))
            }
        }
    }
}
