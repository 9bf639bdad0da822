import Blocking
import Foundation
import LabSupport
import Libvirt
import Testing

extension LabTests {
    /// Locking and faults in the lab: virtlockd refuses a second copy of a running guest until its host
    /// is dead; partition cuts a host's etcd member off; nothing is left after `down`.
    @Suite("Multi-host lab faults (real libvirtd + QEMU)")
    struct LabFencingTests {
        @Test("virtlockd refuses a second copy while it runs on h1, allows it after h1 is killed")
        func lockManagerFencing() async throws {
            try await Lab.with { lab in
                let (h1, h2) = (try lab.host("h1"), try lab.host("h2"))
                let guest = try await lab.guest("vm-lock")
                let (_, domain, _) = try await LabGuest.boot(guest, on: h1, lab: lab)
                // A save image of the guest, then the guest running again on h1 from it.
                let image = guest.directory + "/memory.save"
                try await BlockingCall.run { try domain.save(to: image) }
                let resumed = labNow()
                _ = try await BlockingCall.run { try domain.connection.restore(from: image) }
                let onH1 = try await lab.waitForHeartbeat(of: guest.name, after: resumed)

                let other = try Connection(uri: h2.uri)
                let copy = try other.define(xml: guest.domainXML)
                let refused = #expect(throws: LibvirtError.self) { try other.restore(from: image) }
                print("[lab] restore of a second copy on h2 refused: \(refused.map { "\($0)" } ?? "NOT REFUSED")")
                #expect(refused?.code == .resourceBusy || refused?.message.contains("Lockspace resource") == true,
                        "the refusal must come from virtlockd's lease")
                #expect(throws: LibvirtError.self, "a fresh start on h2 must be refused too") { try copy.create() }
                let stillH1 = try await lab.waitForHeartbeat(of: guest.name, after: labNow())
                #expect(stillH1.boot == onH1.boot, "the copy on h1 must keep running")

                let killed = labNow()
                try await lab.kill("h1")
                _ = try await BlockingCall.run { try other.restore(from: image) }
                let onH2 = try await lab.waitForHeartbeat(of: guest.name, after: labNow())
                print("[lab] h1 killed → guest restored on h2, first heartbeat after \(LabGuest.seconds(onH2.time - killed))")
                #expect(try copy.state().state == .running)

                try await lab.start("h1")
                let rebooted = try Connection(uri: h1.uri)
                let stale = try rebooted.lookup(name: guest.name)
                #expect(try stale.state().state == .shutOff, "a restarted host must not start a second copy")
            }
        }

        @Test("partition cuts a host's etcd member from quorum while its processes run; heal restores it")
        func partitionAndHeal() async throws {
            try await Lab.with { lab in
                let put = ["etcdctl", "--endpoints", "http://127.0.0.1:2379", "--command-timeout=2s", "put", "lab-key"]
                try await lab.exec("h3", put + ["before"])
                let pidsBefore = try await lab.processIDs()
                try await lab.partition("h3")
                await #expect(throws: LabError.self, "h3's member must lose quorum") { try await lab.exec("h3", put + ["cut-off"]) }
                try await lab.exec("h1", put + ["majority"])  // the other two still form a quorum
                #expect(try await lab.processIDs() == pidsBefore, "a partitioned host's processes keep running")
                try await lab.heal("h3")
                var healed = false
                for _ in 0..<30 where !healed {
                    healed = (try? await lab.exec("h3", put + ["after"])) != nil
                    if !healed { try await Task.sleep(for: .milliseconds(500)) }
                }
                #expect(healed, "h3's member must rejoin after heal")
            }
        }

        @Test("down removes every lab process, namespace and mount, even with guests running")
        func downLeavesNothing() async throws {
            var hostCount = 0
            let pids = try await Lab.with { lab in
                hostCount = lab.hosts.count
                _ = try await LabGuest.boot(try await lab.guest("vm-down"), on: try lab.host("h1"), lab: lab)
                return try await lab.processIDs()
            }
            #expect(pids.count > 4 * hostCount, "expected daemons, etcd and QEMU among \(pids)")
            #expect(Lab.leftovers(pids: pids).isEmpty, "left behind: \(Lab.leftovers(pids: pids))")
        }
    }
}

extension LabTests {
    /// Without the privileges to create namespaces the lab must fail with its reason, not skip.
    @Suite("Multi-host lab without privileges")
    struct LabPrivilegeTests {
        @Test("without CAP_SYS_ADMIN, `up` fails with a clear hostUnsupported error")
        func upWithoutNamespaces() async throws {
            let real = try LabScript.locate()
            let wrapper = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-lab-nocap-\(UUID().uuidString)")
            try "exec setpriv --bounding-set=-sys_admin /bin/bash '\(real.path)' \"$@\"\n"
                .write(to: wrapper, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: wrapper) }
            let error = await #expect(throws: LabError.self) { try await LabScript(path: wrapper.path).run(["up"]) }
            guard case .hostUnsupported(let message)? = error else {
                Issue.record("expected hostUnsupported, got \(String(describing: error))")
                return
            }
            print("[lab] without CAP_SYS_ADMIN: \(LabError.hostUnsupported(message: message))")
            #expect(message.contains("namespaces"), "the message must name the missing capability")
        }
    }
}
