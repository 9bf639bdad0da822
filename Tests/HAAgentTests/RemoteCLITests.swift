import AgentAPI
import Foundation
import LabSupport
import XCTest
@testable import HAAgent

/// `vigil --host HOST:PORT`: the CLI drives another host's agent over its TCP API, over TLS with
/// the cluster secret or a client certificate, and never in clear text.
final class RemoteCLITests: XCTestCase {
    private var vigil: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vigil").path
    }

    private func secretFile(_ h: AgentHarness, _ text: String) throws -> String {
        let path = "\(h.directory)/cli-\(UUID().uuidString.prefix(6)).secret"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    func testStatusThroughHostWithTheSecretAndRefusalsWithClearMessages() async throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: vigil), "no vigil binary at \(vigil): run swift build first")
        let (h, certificates, listen) = try APITLSTests.agent()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let good = try secretFile(h, APITLSTests.secret + "\n")
        let remote = ["--host", listen, "--ca-file", certificates.caCertificate]

        let text = try LabScript.execute([vigil, "status"] + remote + ["--secret-file", good])
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.contains("leader: solo"), text.out)
        let json = try LabScript.execute([vigil, "status", "--output", "json"] + remote + ["--secret-file", good])
        XCTAssertEqual(try JSONDecoder().decode(ClusterStatus.self, from: Data(json.out.utf8)).leader, "solo", json.err)
        // Before the command, as `vigil --host h2:7480 status` reads.
        let first = try LabScript.execute([vigil] + remote + ["--secret-file=\(good)", "status"])
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("leader: solo"), first.out)
        // The same through the environment.
        let environment = try LabScript.execute(["/usr/bin/env", "VIGIL_HOST=\(listen)", "VIGIL_SECRET_FILE=\(good)",
                                                 "VIGIL_CA_FILE=\(certificates.caCertificate)", vigil, "status"])
        XCTAssertEqual(environment.status, 0, environment.err)
        XCTAssertTrue(environment.out.contains("leader: solo"), environment.out)

        let wrong = try LabScript.execute([vigil, "status"] + remote + ["--secret-file", try secretFile(h, "not-the-cluster-secret")])
        XCTAssertEqual(wrong.status, 1, "a refused secret is a failure: \(wrong.err)")
        XCTAssertTrue(wrong.err.contains("missing or wrong cluster secret"), wrong.err)
        let both = try LabScript.execute([vigil, "status", "--socket", h.configuration.api.socket] + remote + ["--secret-file", good])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.err.contains("--host and --socket exclude each other"), both.err)
        let missing = try LabScript.execute([vigil, "status"] + remote + ["--secret-file", h.directory + "/none.secret"])
        XCTAssertEqual(missing.status, 2, missing.err)
        XCTAssertTrue(missing.err.contains("cannot read the cluster secret file \(h.directory)/none.secret"), missing.err)
        // Without the CA that signed the agent's certificate, the system's CAs do not trust it.
        let untrusted = try LabScript.execute([vigil, "status", "--host", listen, "--secret-file", good])
        XCTAssertEqual(untrusted.status, 4, untrusted.err)
        XCTAssertTrue(untrusted.err.contains("cannot reach the Vigil agent at \(listen) over TLS"), untrusted.err)
        await h.stop()
    }

    func testAnAgentWithoutTLSIsRefusedByTheCLI() async throws {
        let (h, certificates, listen) = try APITLSTests.agent(insecure: true)
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let plain = try LabScript.execute([vigil, "status", "--host", listen, "--ca-file", certificates.caCertificate,
                                           "--secret-file", try secretFile(h, APITLSTests.secret)])
        XCTAssertEqual(plain.status, 4, "no TLS, no talk (the secret is never sent in clear text): \(plain.out)")
        XCTAssertTrue(plain.err.contains("cannot reach the Vigil agent at \(listen) over TLS"), plain.err)
        await h.stop()
    }

    func testAClientCertificateStandsInForTheSecret() async throws {
        let (h, certificates, listen) = try APITLSTests.agent(clientCA: true, withSecret: false)
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let remote = ["--host", listen, "--ca-file", certificates.caCertificate]
        let admitted = try LabScript.execute([vigil, "status"] + remote + ["--cert-file", certificates.clientCertificate, "--key-file", certificates.clientKey])
        XCTAssertEqual(admitted.status, 0, admitted.err)
        let half = try LabScript.execute([vigil, "status"] + remote + ["--cert-file", certificates.clientCertificate])
        XCTAssertEqual(half.status, 2)
        XCTAssertTrue(half.err.contains("--cert-file and --key-file go together"), half.err)
        await h.stop()
    }
}
