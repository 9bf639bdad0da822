import Blocking
import Foundation
import LabSupport
import Libvirt
import Testing

extension LabTests {
    /// The Libvirt wrapper's calls that libvirt's test driver cannot show, on real libvirtd + QEMU:
    /// lifecycle events, restore with an XML override, shutdown with a deadline, the guest agent,
    /// CPU comparison, managed save, client-managed migration and aborting a migration job.
    @Suite("Libvirt wrapper on real QEMU")
    struct LibvirtOnQEMUTests {
        @Test("events: defined, started (QEMU also reports resumed), then stopped as failed when QEMU is killed")
        func lifecycleEvents() async throws {
            try await Lab.with(hosts: 1) { lab in
                let guest = try await lab.guest("vm-events")
                let connection = try Connection(uri: try lab.host("h1").uri)
                let events = try connection.domainEvents()
                let (_, domain, _) = try await LabGuest.boot(guest, on: try lab.host("h1"), lab: lab)
                let pid = try #require(Lab.qemuPID(of: guest.name))
                let killed = Date()
                kill(pid, SIGKILL)
                var seen: [DomainEvent] = []
                for await event in events where event.domainName == guest.name {
                    seen.append(event)
                    if event.kind == .stopped { break }
                }
                // libvirtd notices at once but waits for the dead QEMU to be reaped; this sandbox's PID 1
                // reaps slowly, so expect about 2 s here and milliseconds on a host with a real init.
                print("[lab] QEMU killed → stopped event after \(LabGuest.seconds(Date().timeIntervalSince(killed)))")
                #expect(seen.map(\.kind).filter { $0 != .resumed } == [.defined, .started, .stopped], "\(seen)")
                #expect(seen.last?.stoppedDetail == .failed, "a killed QEMU is a failure, not a shutdown")
                #expect(try domain.state().shutOffReason == .crashed || (try domain.state().shutOffReason) == .failed)
            }
        }

        @Test("save, then restore with an XML override; managed save; shutdown with a deadline")
        func saveRestoreOverrideAndShutdown() async throws {
            try await Lab.with(hosts: 1) { lab in
                let h1 = try lab.host("h1")
                let guest = try await lab.guest("vm-override")
                let (connection, domain, first) = try await LabGuest.boot(guest, on: h1, lab: lab)
                let image = guest.directory + "/override.save"
                try await BlockingCall.run { try domain.save(to: image) }
                let saved = try connection.saveImageXML(path: image, flags: .secure)
                let changed = saved.replacingOccurrences(of: "</name>", with: "</name>\n  <description>restored by Vigil</description>")
                let restored = try await BlockingCall.run { try connection.restore(from: image, xml: changed, flags: .running) }
                #expect(try restored.xmlDescription().contains("restored by Vigil"), "the override's definition is the live one")
                let next = try await lab.waitForHeartbeat(of: guest.name, after: labNow())
                #expect(next.boot == first.boot, "restored, not rebooted")

                try await BlockingCall.run { try restored.managedSave() }
                #expect(try restored.hasManagedSaveImage())
                try await BlockingCall.run { try restored.create() }  // resumes from the managed-save image
                let resumed = try await lab.waitForHeartbeat(of: guest.name, after: labNow())
                #expect(resumed.boot == first.boot, "a managed save resumes the same boot")

                // The lab guest has no ACPI daemon: it ignores the request and is destroyed at the deadline.
                let begin = Date()
                let outcome = try await restored.shutdown(deadline: .seconds(2))
                print("[lab] shutdown with a 2 s deadline: \(outcome) after \(LabGuest.seconds(Date().timeIntervalSince(begin)))")
                #expect(outcome == .destroyed)
                #expect(try restored.isActive() == false)
                try restored.undefine([.managedSave])
                #expect(try connection.domainIfExists(name: guest.name) == nil)
            }
        }

        @Test("the guest agent answers with the guest's clock; once the guest OS hangs, the call fails within the set timeout")
        func guestAgent() async throws {
            try await Lab.with(hosts: 1) { lab in
                let guest = try await lab.guest("vm-agent", hangAfterSeconds: 10)
                let (_, domain, _) = try await LabGuest.boot(guest, on: try lab.host("h1"), lab: lab)
                var answer: GuestTime?
                let deadline = Date().addingTimeInterval(8)
                while answer == nil, Date() < deadline {  // the agent connects a moment after boot
                    answer = try? await LabGuest.blocking(within: 30) { try domain.guestTime() }
                    if answer == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                let time = try #require(answer, "the lab guest's agent answers within 8 s of its first heartbeat")
                #expect(abs(Double(time.seconds) - Date().timeIntervalSince1970) < 5, "the guest's clock: \(time)")

                while lab.lastHeartbeat(of: guest.name).map({ labNow() - $0.time < 1.5 }) ?? true {
                    try await Task.sleep(for: .milliseconds(200))  // until the guest OS hangs
                }
                // Set now that the agent is connected: libvirt copies the timeout into its agent
                // connection when it opens it, and a timeout set during that moment is lost.
                try domain.setGuestAgentTimeout(seconds: 2)
                let asked = Date()
                let error = await #expect(throws: LibvirtError.self) { try await LabGuest.blocking(within: 30) { try domain.guestTime() } }
                let waited = Date().timeIntervalSince(asked)
                print("[lab] hung guest: guest agent call failed after \(LabGuest.seconds(waited)): \(error.map { "\($0)" } ?? "-")")
                // The timeout's own error (a blocked call would have hit the 30 s deadline instead).
                #expect(error?.code == .agentUnresponsive, "\(String(describing: error))")
                #expect(try domain.isActive(), "QEMU runs on: only the guest agent can tell")
            }
        }

        @Test("the host CPU is compatible with itself; a made-up CPU model is refused")
        func compareCPU() async throws {
            try await Lab.with(hosts: 1) { lab in
                let connection = try Connection(uri: try lab.host("h1").uri)
                let capabilities = try connection.capabilities()
                let start = try #require(capabilities.range(of: "<cpu>")), end = try #require(capabilities.range(of: "</cpu>"))
                let hostCPU = String(capabilities[start.lowerBound..<end.upperBound])
                let result = try connection.compareCPU(xml: hostCPU)
                #expect(result == .identical || result == .superset, "\(result)")
                #expect(throws: LibvirtError.self) { try connection.compareCPU(xml: "<cpu><arch>x86_64</arch><model>NoSuchCPU</model></cpu>") }
                #expect(try connection.hypervisorVersion().major >= 7, "Debian 12 ships QEMU 7.2")
            }
        }

        @Test("client-managed migration h1 → h2 with two connections; an aborted migration leaves the guest on h1")
        func clientManagedMigrationAndAbort() async throws {
            try await Lab.with(hosts: 2) { lab in
                let (h1, h2) = (try lab.host("h1"), try lab.host("h2"))
                let guest = try await lab.guest("vm-client")
                let (_, domain, first) = try await LabGuest.boot(guest, on: h1, lab: lab)
                let target = try Connection(uri: h2.uri)

                // 1 MiB/s would take minutes for 128 MiB: abort it while it runs.
                let slow = domain
                let migration = Task.detached {
                    try slow.migrate(to: target, flags: [.live, .unsafe], parameters: MigrationParameters(bandwidthMiBps: 1))
                }
                var progress = JobInfo.Kind.none
                for _ in 0..<100 where progress == .none {
                    try await Task.sleep(for: .milliseconds(100))
                    progress = (try? domain.jobInfo().kind) ?? .none
                }
                #expect(progress == .unbounded, "a migration job is running")
                try domain.abortJob()
                await #expect(throws: LibvirtError.self) { _ = try await migration.value }
                #expect(try domain.state().state == .running, "the guest still runs on h1")
                #expect(try target.domainIfExists(name: guest.name) == nil)

                let begin = Date()
                let moved = try await BlockingCall.run {
                    try domain.migrate(to: target, flags: [.live, .persistDestination, .undefineSource, .unsafe],
                                       parameters: MigrationParameters(maxDowntimeMilliseconds: 300))
                }
                print("[lab] client-managed live migration h1 → h2: \(LabGuest.seconds(Date().timeIntervalSince(begin)))")
                #expect(try moved.state().state == .running)
                #expect(moved.connection === target)
                let after = try await lab.waitForHeartbeat(of: guest.name, after: labNow())
                #expect(after.boot == first.boot)
                let stats = try moved.jobStats(completed: true)
                print("[lab] completed-job stats on the destination: \(stats.keys.sorted().prefix(6))")
            }
        }
    }
}
