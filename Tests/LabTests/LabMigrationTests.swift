import Blocking
import Foundation
import LabSupport
import Libvirt
import Testing

extension LabTests {
    /// The lab on real libvirtd + QEMU hosts, driven through Vigil's own Libvirt wrapper.
    /// Each test brings up its own lab and always tears it down (`Lab.with`), checking nothing is left.
    /// On a machine without root or network namespaces they fail with the reason; they never skip.
    @Suite("Multi-host lab (real libvirtd + QEMU)")
    struct LabMigrationTests {
        @Test("quick migration: save on h1 to shared storage, restore on h2, heartbeat gap measured")
        func quickMigration() async throws {
            try await Lab.with { lab in
                let (h1, h2) = (try lab.host("h1"), try lab.host("h2"))
                let guest = try await lab.guest("vm-quick")
                let (source, domain, first) = try await LabGuest.boot(guest, on: h1, lab: lab)

                let image = guest.directory + "/memory.save"
                let begin = labNow()
                let before = try #require(lab.lastHeartbeat(of: guest.name))
                try await BlockingCall.run { try domain.save(to: image) }
                let saved = labNow()
                try domain.undefine()
                let target = try Connection(uri: h2.uri)
                _ = try target.define(xml: guest.domainXML)
                let restored = try await BlockingCall.run { try target.restore(from: image) }
                let done = labNow()
                let next = try await lab.waitForHeartbeat(of: guest.name, after: saved)
                let gap = try #require(lab.largestGap(of: guest.name, from: begin, to: next.time))

                print("[lab] quick migration h1 → h2: save \(LabGuest.seconds(saved - begin)), undefine+define+restore \(LabGuest.seconds(done - saved)), heartbeat gap \(LabGuest.seconds(gap.seconds))")
                #expect(try restored.state().state == .running)
                #expect(try source.domainIfExists(name: guest.name) == nil, "the domain must be gone from h1")
                #expect(next.boot == first.boot, "restored guest must continue its boot, not reboot")
                #expect(next.sequence > before.sequence, "heartbeat sequence must continue after restore")
            }
        }

        @Test("live migration h2 → h3, peer-to-peer, with job progress read while it runs")
        func liveMigration() async throws {
            try await Lab.with { lab in
                let (h2, h3) = (try lab.host("h2"), try lab.host("h3"))
                let guest = try await lab.guest("vm-live")
                let (source, domain, first) = try await LabGuest.boot(guest, on: h2, lab: lab)

                let done = DoneFlag()
                let begin = labNow()
                async let migration: Void = BlockingCall.run {
                    defer { done.set() }
                    try domain.migrate(toURI: h3.tcpURI,
                                       flags: [.live, .peerToPeer, .persistDestination, .undefineSource, .unsafe])
                }
                var progress: [JobInfo] = []
                while !done.isSet {
                    if let info = try? domain.jobInfo(), info.kind != .none, info.dataTotal > 0 { progress.append(info) }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await migration
                let wall = labNow() - begin
                let next = try await lab.waitForHeartbeat(of: guest.name, after: labNow())
                let gap = try #require(lab.largestGap(of: guest.name, from: begin, to: next.time))

                let target = try Connection(uri: h3.uri)
                let moved = try target.lookup(name: guest.name)
                let stats = (try? moved.jobStats(completed: true)) ?? [:]
                let downtime = stats["downtime"]?.unsignedValue.map { "\($0) ms" } ?? "n/a"
                let elapsed = stats["time_elapsed"]?.unsignedValue.map { "\($0) ms" } ?? "n/a"
                let last = progress.last
                print("[lab] live migration h2 → h3: wall \(LabGuest.seconds(wall)), libvirt elapsed \(elapsed), downtime \(downtime), heartbeat gap \(LabGuest.seconds(gap.seconds)); \(progress.count) progress samples, last \(last.map { "\($0.dataProcessed)/\($0.dataTotal) bytes at \($0.elapsedMilliseconds) ms" } ?? "none")")

                #expect(!progress.isEmpty, "job progress must be readable while the migration runs")
                #expect(progress.contains { $0.dataProcessed > 0 }, "progress must show transferred data")
                #expect(try moved.state().state == .running)
                #expect(try source.domainIfExists(name: guest.name) == nil, "undefineSource must remove it from h2")
                #expect(next.boot == first.boot, "a live-migrated guest keeps running, it does not reboot")
            }
        }
    }
}
