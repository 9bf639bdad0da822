import Foundation

/// A throw-away CA with one server certificate (for the given addresses) and a client certificate,
/// made by `openssl` in a directory of the test's (keys mode 0600), for the TLS tests.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { directory + "/ca.crt" }
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }
    /// A second CA that signed nothing the agent trusts.
    public var otherCACertificate: String { directory + "/other.crt" }

    /// Certificates made earlier in `directory`.
    public init(existing directory: String) { self.directory = directory }

    /// `addresses`: the IP addresses the server certificate is for (DNS name localhost too).
    public init(in directory: String, addresses: [String] = ["127.0.0.1"]) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", directory + "/ca.key", "-out", caCertificate, "-days", "2", "-subj", "/CN=vigil-test-ca"])
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", directory + "/other.key", "-out", otherCACertificate, "-days", "2", "-subj", "/CN=other-ca"])
        let names = (addresses.map { "IP:\($0)" } + ["DNS:localhost"]).joined(separator: ",")
        try sign("server", subject: "/CN=localhost", extensions: "subjectAltName=\(names)\nextendedKeyUsage=serverAuth\n")
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
        guard result.status == 0 else { throw LabError.commandFailed(arguments: ["openssl"] + arguments, status: result.status, message: result.err) }
    }
}
