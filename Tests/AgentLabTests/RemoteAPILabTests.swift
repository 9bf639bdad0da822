import AgentAPI
import Foundation
import LabSupport
import XCTest

/// `vigil --host` across the lab network: from inside one host, another host's agent over its TCP
/// API with TLS and the cluster secret; a wrong secret refused; the API never in clear text.
extension AgentLabTests {
    func testVigilHostReachesAnotherHostsAgentOverTLS() async throws {
        var settings = LabAgentSettings()
        settings.tcpAPI = true
        try await withCluster(agents: settings) { c in
            let certificates = try c.tlsCertificates()
            let h2 = try c.lab.host("h2").address
            let remote = "\(c.vigilCLI) --host \(h2):7480 --ca-file \(certificates.caCertificate)"
            // Run inside h1's namespaces: the request crosses the lab network to h2.
            let good = try await c.lab.exec("h1", ["/bin/sh", "-c", "\(remote) --secret-file \(c.secretFile) status --output json 2>&1; echo \"rc=$?\""])
            XCTAssertTrue(good.hasSuffix("rc=0\n"), good)
            let status = try JSONDecoder().decode(ClusterStatus.self, from: Data(good.replacingOccurrences(of: "rc=0\n", with: "").utf8))
            XCTAssertEqual(status.nodes.filter(\.member).count, 3, "h2's agent answered with the whole cluster")
            let wrongSecret = c.agentDirectory + "/wrong.secret"
            _ = FileManager.default.createFile(atPath: wrongSecret, contents: Data("not-the-cluster-secret".utf8), attributes: [.posixPermissions: 0o600])
            let wrong = try await c.lab.exec("h1", ["/bin/sh", "-c", "\(remote) --secret-file \(wrongSecret) status 2>&1; echo \"rc=$?\""])
            XCTAssertTrue(wrong.contains("missing or wrong cluster secret") && wrong.hasSuffix("rc=1\n"), wrong)
            let plain = try await c.lab.exec("h1", ["/bin/sh", "-c", "python3 -c \"import urllib.request; urllib.request.urlopen('http://\(h2):7480/v1/status', timeout=2)\" 2>&1; echo \"rc=$?\""])
            XCTAssertFalse(plain.hasSuffix("rc=0\n"), "no answer in clear text: \(plain)")
            print("[lab] vigil --host \(h2):7480 from h1: status over TLS with the secret, wrong secret refused (exit 1), clear text refused")
        }
    }
}
