import Foundation
import LabSupport
import NIOCore
import NIOPosix

/// A throw-away CA with a server certificate for 127.0.0.1/localhost and a client certificate, made
/// by `openssl` in a temporary directory (mode 0600 keys), for the TLS tests.
struct TestCertificates {
    let directory: String
    var caCertificate: String { directory + "/ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }
    var clientCertificate: String { directory + "/client.crt" }
    var clientKey: String { directory + "/client.key" }
    /// A second CA that signed nothing the agent trusts.
    var otherCACertificate: String { directory + "/other.crt" }

    init(in directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", directory + "/ca.key", "-out", caCertificate, "-days", "2", "-subj", "/CN=vigil-test-ca"])
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", directory + "/other.key", "-out", otherCACertificate, "-days", "2", "-subj", "/CN=other-ca"])
        try sign("server", subject: "/CN=localhost", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try sign("client", subject: "/CN=vigil-cli", extensions: "extendedKeyUsage=clientAuth\n")
    }

    private func sign(_ name: String, subject: String, extensions: String) throws {
        let ext = "\(directory)/\(name).ext"
        try extensions.write(toFile: ext, atomically: true, encoding: .utf8)
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject])
        try Self.openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", caCertificate, "-CAkey", directory + "/ca.key",
                          "-CAcreateserial", "-out", "\(directory)/\(name).crt", "-days", "2", "-extfile", ext])
        chmod("\(directory)/\(name).key", 0o600)
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try LabScript.execute(["/usr/bin/openssl"] + arguments)
        guard result.status == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.first!): \(result.err)"]) }
    }

    /// A loopback TCP port free right now (bound and released).
    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress!.port!
    }
}
