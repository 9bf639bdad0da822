import AgentAPI
import NIOSSL

extension APITLSSettings {
    /// The TCP API's server TLS: this host's certificate chain and key; with `clientCA`, every
    /// caller must present a certificate that CA signed. Errors name the setting and the file; a
    /// key others may read is refused.
    func serverConfiguration() throws -> TLSConfiguration {
        func read<T>(_ setting: String, _ path: String, _ load: (String) throws -> T) throws -> T {
            do { return try load(path) } catch { throw APIError("cannot read \(setting) \(path): \(error)") }
        }
        let chain = try read("api.tls.certificate", certificate) { try NIOSSLCertificate.fromPEMFile($0) }
        try PrivateFile.check(key, as: "api.tls.key")
        let privateKey = try read("api.tls.key", key) { try NIOSSLPrivateKey(file: $0, format: .pem) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            configuration.trustRoots = .certificates(try read("api.tls.client_ca", clientCA) { try NIOSSLCertificate.fromPEMFile($0) })
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }
}
