extension APISettings {
    /// The TCP API needs TLS unless clear text is asked for by name, and a way to know its callers
    /// (the cluster secret, or client certificates); metrics off loopback need the secret.
    func validate() throws(ConfigurationFileError) {
        if !tcpListen.isEmpty {
            guard APIServer.hostPort(tcpListen) != nil else { throw .invalid(setting: "api.tcp_listen", problem: "'\(tcpListen)' is not address:port") }
            guard secretFile != nil || tls?.clientCA != nil else {
                throw .invalid(setting: "api.secret_file", problem: "the TCP API needs a cluster secret (or api.tls.client_ca to verify client certificates)")
            }
            guard tls != nil || insecureTCP else {
                throw .invalid(setting: "api.tls", problem: "the TCP API at \(tcpListen) needs TLS (api.tls.certificate and api.tls.key); "
                               + "set api.insecure_tcp: true to serve it in clear text, secret included")
            }
        }
        if let tls {
            for (setting, path) in [("api.tls.certificate", tls.certificate), ("api.tls.key", tls.key), ("api.tls.client_ca", tls.clientCA ?? "/")]
            where !path.hasPrefix("/") {
                throw .invalid(setting: setting, problem: "'\(path)' must be an absolute path")
            }
        }
        if let (host, _) = APIServer.hostPort(metricsListen), !Self.isLoopback(host), secretFile == nil {
            throw .invalid(setting: "api.metrics_listen", problem: "'\(metricsListen)' is not a loopback address, so scrapers must send the cluster secret: set api.secret_file")
        }
    }

    /// Whether a listen host is reachable from this host only.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
