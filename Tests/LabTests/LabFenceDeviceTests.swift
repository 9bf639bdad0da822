import Blocking
import Foundation
import HAAgent
import LabSupport
import Libvirt
import Testing

extension LabTests {
    /// The lab's fence device: the BMC daemon in the root namespace powers hosts off and on from
    /// outside; `deploy/lab/fence_lab` speaks the fence-agents protocol to it, from inside a host
    /// and under vigild's FenceTopology.
    @Suite("Lab fence device (BMC + fence_lab)")
    struct LabFenceDeviceTests {
        @Test("fence_lab in h1 powers h2 off and on through the BMC; a wrong password fails; FenceTopology passes a hung level")
        func fenceThroughTheBMC() async throws {
            try await Lab.with(hosts: 2) { lab in
                let secret = try await lab.bmcSecret()
                let (ip, port) = lab.bmcAddress
                let h2 = try lab.host("h2")
                #expect(secret.count >= 16, "a random BMC password")
                func agent(_ action: String, password: String? = nil) async throws -> (status: Int32, out: String, err: String, seconds: Double) {
                    let start = labNow()
                    let input = "action=\(action)\nplug=h2\nnodename=h2\nip=\(ip)\nipport=\(port)\npassword=\(password ?? secret)\n"
                    let r = try await lab.exec("h1", [lab.fenceAgent], input: input)
                    let seconds = labNow() - start
                    print("[lab] fence_lab \(action) from h1: exit \(r.status) after \(LabGuest.seconds(seconds)) \(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) \(r.err.trimmingCharacters(in: .whitespacesAndNewlines))")
                    return (r.status, r.out, r.err, seconds)
                }
                func libvirtdAnswers() async -> Bool {
                    (try? await BlockingCall.run { try Connection(uri: h2.uri).hostname() }) != nil
                }

                #expect(try await agent("monitor").status == 0)
                #expect(try await agent("status").status == 0, "h2 is on")
                let wrong = try await agent("off", password: "not-the-secret")
                #expect(wrong.status == 1)
                #expect(wrong.err.contains("Unable to connect/login"), "the failure names the login: \(wrong.err)")
                #expect(await libvirtdAnswers(), "a refused off leaves h2 running")

                #expect(try await agent("off").status == 0)
                #expect(await !libvirtdAnswers(), "h2's libvirtd must be gone after off")
                #expect(try await agent("status").status == 2, "status of a host that is off: exit 2")

                #expect(try await agent("on").status == 0)
                #expect(await libvirtdAnswers(), "h2's libvirtd must answer again after on")
                #expect(try await agent("status").status == 0)

                // vigild's FenceTopology, from this process: level 1 hangs (killed at 2 s), level 2 powers h2 off.
                let options = ["ip": ip, "ipport": String(port), "password": secret]
                let hung = FenceDevice(agent: lab.fenceAgent, options: options.merging(["simulate": "hang"]) { $1 }, timeoutSeconds: 2, retries: 0)
                let bmc = FenceDevice(agent: lab.fenceAgent, options: options)
                let topology = FenceTopology(levels: [[hung], [bmc]])
                let fenceStart = labNow()
                let result = await topology.fence(node: "h2")
                print("[lab] FenceTopology.fence(h2) returned after \(LabGuest.seconds(labNow() - fenceStart))")
                print("[lab] FenceTopology: \(result); attempts: \(result.attempts.map(\.description).joined(separator: "; "))")
                guard case .confirmed(let confirmation) = result else {
                    Issue.record("fencing h2 must be confirmed by level 2: \(result)")
                    return
                }
                #expect(confirmation.level == 2)
                #expect(result.attempts.first?.outcome.ending == .timedOut(seconds: 2))
                #expect(await topology.status(node: "h2") == .off)
                #expect(await !libvirtdAnswers(), "h2 is powered off")
                let status = try await lab.script.run(["status"])
                #expect(status.contains("h2 \(h2.address) down"), "lab status: \(status)")
                #expect(await topology.monitor().map(\.reachable) == [false, true], "the hanging device is not reachable")
            }
        }
    }
}
