import AgentAPI
import AsyncHTTPClient
import LabSupport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import XCTest
@testable import HAAgent

/// The TCP API over TLS: the cluster secret as a bearer token, or client certificates from a CA;
/// never in clear text unless asked for by name; `/metrics` off loopback only with the secret.
final class APITLSTests: XCTestCase {
    static let secret = "0123456789abcdef-tls-secret"

    /// An agent whose TCP API is on a free loopback port; TLS from fresh certificates unless `insecure`.
    static func agent(clientCA: Bool = false, withSecret: Bool = true, insecure: Bool = false, metricsListen: String = "")
        throws -> (harness: AgentHarness, certificates: TestCertificates, listen: String) {
        var certificates: TestCertificates?
        let listen = "127.0.0.1:\(try TestCertificates.freePort())"
        let h = try AgentHarness { settings, directory in
            let made = try TestCertificates(in: directory + "/tls")
            certificates = made
            settings.api.tcpListen = listen
            settings.api.metricsListen = metricsListen
            if withSecret {
                let file = directory + "/cluster.secret"
                try secret.write(toFile: file, atomically: true, encoding: .utf8)
                chmod(file, 0o600)
                settings.api.secretFile = file
            }
            if insecure {
                settings.api.insecureTCP = true
            } else {
                settings.api.tls = APITLSSettings(certificate: made.serverCertificate, key: made.serverKey,
                                                  clientCA: clientCA ? made.caCertificate : nil)
            }
        }
        return (h, certificates!, listen)
    }

    /// One GET with the given trust, bearer and client certificate: status and the error message or body.
    static func get(_ url: String, trusting ca: String?, bearer: String? = nil, certificate: (String, String)? = nil) async throws -> (status: Int, text: String) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
        if let (cert, key) = certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var request = HTTPClientRequest(url: url)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let result: Result<(Int, String), any Error>
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            result = .success((Int(response.status.code), (try? JSONDecoder().decode(APIError.self, from: body))?.error ?? String(decoding: body, as: UTF8.self)))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        return try result.get()
    }

    func testTheTCPAPIServesOverTLSOnlyToCallersWithTheSecretAndMetricsOffLoopbackNeedIt() async throws {
        let metricsPort = try TestCertificates.freePort()
        let (h, certificates, listen) = try Self.agent(metricsListen: "0.0.0.0:\(metricsPort)")
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let status = "https://\(listen)\(AgentAPI.status)"
        let admitted = try await Self.get(status, trusting: certificates.caCertificate, bearer: Self.secret)
        XCTAssertEqual(admitted.status, 200, admitted.text)
        XCTAssertEqual(try JSONDecoder().decode(ClusterStatus.self, from: Data(admitted.text.utf8)).leader, "solo")
        let anonymous = try await Self.get(status, trusting: certificates.caCertificate)
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.text, "missing or wrong cluster secret (Authorization: Bearer ...)")
        let wrong = try await Self.get(status, trusting: certificates.caCertificate, bearer: Self.secret + "x")
        XCTAssertEqual(wrong.status, 401, wrong.text)

        // Clear text to the TLS port, or a client that trusts another CA: no answer at all.
        let plain = try? await Self.get("http://\(listen)\(AgentAPI.status)", trusting: nil, bearer: Self.secret)
        XCTAssertNotEqual(plain?.status, 200, "no API in clear text on a TLS listener")
        do {
            _ = try await Self.get(status, trusting: certificates.otherCACertificate, bearer: Self.secret)
            XCTFail("a certificate from an untrusted CA must fail the handshake")
        } catch {}

        // /metrics on every address: the secret is needed.
        let metrics = "http://127.0.0.1:\(metricsPort)/metrics"
        let scraped = try await Self.get(metrics, trusting: nil, bearer: Self.secret)
        XCTAssertEqual(scraped.status, 200)
        XCTAssertTrue(scraped.text.contains("vigil_restarts_total"), scraped.text)
        let unscraped = try await Self.get(metrics, trusting: nil)
        XCTAssertEqual(unscraped.status, 401, unscraped.text)
        await h.stop()
    }

    func testAClientCAAdmitsCallersByCertificateWithoutTheSecret() async throws {
        let (h, certificates, listen) = try Self.agent(clientCA: true, withSecret: false)
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let status = "https://\(listen)\(AgentAPI.status)"
        let admitted = try await Self.get(status, trusting: certificates.caCertificate,
                                          certificate: (certificates.clientCertificate, certificates.clientKey))
        XCTAssertEqual(admitted.status, 200, admitted.text)
        do {
            let refused = try await Self.get(status, trusting: certificates.caCertificate, bearer: Self.secret)
            XCTFail("no client certificate: the handshake must fail, not answer \(refused.status)")
        } catch {}
        await h.stop()
    }

    func testATCPAPIWithoutTLSIsRefusedUnlessAskedForByName() async throws {
        func message(_ yaml: String) -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigild-\(UUID().uuidString).yaml").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                try ("shared_storage: /srv/vigil\n" + yaml).write(toFile: path, atomically: true, encoding: .utf8)
                _ = try AgentConfiguration.load(path: path)
                return "no error"
            } catch { return "\(error)" }
        }
        let clear = message("api: {tcp_listen: \"127.0.0.1:7480\", secret_file: /etc/vigil/cluster.secret}\n")
        XCTAssertTrue(clear.contains("setting api.tls") && clear.contains("needs TLS") && clear.contains("api.insecure_tcp: true"), clear)
        XCTAssertEqual(message("api: {tcp_listen: \"127.0.0.1:7480\", secret_file: /etc/vigil/cluster.secret, insecure_tcp: true}\n"), "no error")
        let tls = "api: {tcp_listen: \"127.0.0.1:7480\", tls: {certificate: /etc/vigil/h1.crt, key: /etc/vigil/h1.key"
        XCTAssertEqual(message(tls + ", client_ca: /etc/vigil/ca.crt}}\n"), "no error", "client certificates need no secret")
        XCTAssertTrue(message(tls + "}}\n").contains("api.secret_file"), "TLS without client certificates needs the secret")
        XCTAssertTrue(message("api: {tcp_listen: \"127.0.0.1:7480\", secret_file: /s, tls: {certificate: h1.crt, key: /k}}\n")
            .contains("setting api.tls.certificate: 'h1.crt' must be an absolute path"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigild-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ("shared_storage: /srv/vigil\n" + tls + ", client_ca: /etc/vigil/ca.crt}, insecure_tcp: false}\n").write(toFile: path, atomically: true, encoding: .utf8)
        let read = try AgentConfiguration.load(path: path).api
        XCTAssertEqual(read.tls, APITLSSettings(certificate: "/etc/vigil/h1.crt", key: "/etc/vigil/h1.key", clientCA: "/etc/vigil/ca.crt"))
        XCTAssertFalse(read.insecureTCP)
        let metrics = message("api: {metrics_listen: \"0.0.0.0:9477\"}\n")
        XCTAssertTrue(metrics.contains("setting api.metrics_listen") && metrics.contains("api.secret_file"), metrics)
        XCTAssertEqual(message("api: {metrics_listen: \"[::1]:9477\"}\n"), "no error")

        // Settings built in code are checked as well when the agent starts: it fails, naming why.
        let (h, _, _) = try Self.agent()
        var settings = h.configuration
        settings.api.tls = nil
        let clearAgent = try AgentHarness { s, _ in s.api = settings.api }
        clearAgent.start()
        let failure = await clearAgent.failure()
        XCTAssertTrue("\(failure.map { "\($0)" } ?? "no failure")".contains("needs TLS"), "\(String(describing: failure))")
        let missing = try AgentHarness { s, directory in
            s.api = settings.api
            s.api.tls = APITLSSettings(certificate: directory + "/none.crt", key: directory + "/none.key")
        }
        missing.start()
        let unreadable = await missing.failure().map { "\($0)" } ?? "no failure"
        XCTAssertTrue(unreadable.contains("cannot read api.tls.certificate"), unreadable)
        let (open, _, _) = try Self.agent()
        chmod(open.configuration.api.tls!.key, 0o644)
        open.start()
        let exposed = await open.failure().map { "\($0)" } ?? "no failure"
        XCTAssertTrue(exposed.contains("api.tls.key \(open.configuration.api.tls!.key) must not be readable by group or others"), exposed)
    }
}

extension TestCertificates {
    /// A loopback TCP port free right now (bound and released).
    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress!.port!
    }
}
