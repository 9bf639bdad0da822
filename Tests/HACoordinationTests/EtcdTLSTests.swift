import Blocking
import EtcdTestSupport
import Foundation
import HACoordination
import Testing

/// The etcd store over TLS with client-certificate authentication, against a real etcd member
/// using certificates made here with openssl.
@Suite struct EtcdTLSTests {
    @Test func clientCertificatesAreUsedAndRequired() async throws {
        let pki = try await BlockingCall.run("openssl") { try TestPKI() }  // RSA key generation takes a while
        let cluster = try await EtcdCluster(size: 1, extraArguments: [
            "--cert-file", pki.file("server.pem"), "--key-file", pki.file("server-key.pem"),
            "--client-cert-auth", "--trusted-ca-file", pki.file("ca.pem"),
        ], probeTLS: pki.clientTLS)
        defer { cluster.stop() }
        #expect(cluster.endpoints.allSatisfy { $0.hasPrefix("https://") })

        let store = try cluster.store(tls: pki.clientTLS)
        let r = try await store.put("tls/a", Array("secret".utf8))
        #expect(try await store.get("tls/a")?.modRevision == r)
        let lease = try await store.grantLease(ttlSeconds: 5)
        #expect(try await store.keepAlive(lease.id) >= 5)
        try await store.close()

        // Without a client certificate the member refuses the connection: a clear error, no hang.
        let anonymous = try cluster.store(requestTimeout: .seconds(2), tls: EtcdTLS(caFile: pki.file("ca.pem")))
        do {
            try await anonymous.put("tls/b", [1])
            Issue.record("a client without a certificate must be refused")
        } catch {
            print("[etcd tls] without a client certificate: \(error)")
            #expect(error is StoreError)
        }
        try await anonymous.close()
    }
}

/// A throwaway CA with a server certificate for 127.0.0.1 and a client certificate (openssl CLI).
final class TestPKI: @unchecked Sendable {
    let dir: TempDir

    init() throws {
        dir = try TempDir()
        let san = dir.file("san.ext")
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n".write(toFile: san, atomically: true, encoding: .utf8)
        try run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("ca-key.pem"), "-out", file("ca.pem"),
                "-days", "2", "-subj", "/CN=vigil-test-ca")
        for name in ["server", "client"] {
            try run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", file("\(name)-key.pem"), "-out", file("\(name).csr"),
                    "-subj", "/CN=vigil-test-\(name)")
            try run("x509", "-req", "-in", file("\(name).csr"), "-CA", file("ca.pem"), "-CAkey", file("ca-key.pem"),
                    "-CAcreateserial", "-out", file("\(name).pem"), "-days", "2", "-extfile", san)
        }
    }

    func file(_ name: String) -> String { dir.file(name) }

    var clientTLS: EtcdTLS {
        EtcdTLS(caFile: file("ca.pem"), certificateFile: file("client.pem"), keyFile: file("client-key.pem"))
    }

    private func run(_ args: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw StoreError.rejected("openssl \(args.joined(separator: " ")) failed") }
    }
}
