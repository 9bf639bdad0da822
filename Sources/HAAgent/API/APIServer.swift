import AgentAPI
import Foundation
import HACoordination
import HACore
import Logging
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore

/// The agent's API: on a root-only unix socket for the CLI, optionally on TCP for other hosts and
/// remote CLIs, plus `/metrics` for Prometheus on TCP.
/// Every request is validated and answered with a clear error naming what was wrong.
public struct APIServer: Sendable {
    let configuration: AgentConfiguration
    let store: any CoordinationStore
    let node: NodeID
    let metrics: AgentMetrics
    let logger: Logger

    public init(configuration: AgentConfiguration, store: any CoordinationStore, node: NodeID, metrics: AgentMetrics, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.node = node
        self.metrics = metrics
        self.logger = logger
    }

    /// The largest request body accepted (1 MiB); larger ones are answered 413.
    static let maximumBodyBytes = 1 << 20

    /// Serves the unix socket, the metrics address and the TCP API (each configured one) until
    /// cancelled; each listener is a Hummingbird application of its own.
    public func run() async throws {
        let api = configuration.api
        try api.validate()  // also when the configuration was built, not loaded: never an open TCP API
        let metricsHost = Self.hostPort(api.metricsListen)?.0
        let needsSecret = !api.tcpListen.isEmpty || metricsHost.map { !APISettings.isLoopback($0) } == true
        let secret = needsSecret ? try api.secretFile.map { try ClusterSecret(path: $0) } : nil
        var listeners: [any ApplicationProtocol] = []
        if let (host, port) = Self.hostPort(api.metricsListen) {
            // Off loopback, a scraper must send the cluster secret (validation requires one there).
            listeners.append(application(metricsRouter(secret: APISettings.isLoopback(host) ? nil : secret), at: .hostname(host, port: port)))
        }
        if let (host, port) = Self.hostPort(api.tcpListen) {
            // Callers with a certificate the client CA signed need no secret; all others do.
            let server: HTTPServerBuilder = try api.tls.map { try .tls(.http1(), tlsConfiguration: try $0.serverConfiguration()) } ?? .http1()
            // The web console only over TLS: its session cookie is Secure, and the secret typed into it must not cross in clear.
            let console = try api.tls.map { try ConsoleService(secret: secret, clientCertificates: $0.clientCA != nil) }
            listeners.append(application(router(secret: api.tls?.clientCA == nil ? secret : nil, console: console),
                                         at: .hostname(host, port: port), server: server))
        }
        let socket = try UnixSocketPlacement(path: api.socket, mode: 0o600)
        let local = application(router(), at: .unixDomainSocket(path: socket.bindPath)) { channel in
            if !socket.publish() { try? await channel.close() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { socket.discard() }
                try await local.run()
                try socket.check()
            }
            for listener in listeners {
                group.addTask { try await listener.run() }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// One listener: the router's answers at one address.
    private func application(_ router: Router<APIRequestContext>, at address: BindAddress, server: HTTPServerBuilder = .http1(),
                             onRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        // Hummingbird logs a cancelled listener (the agent stopping) as an error; what matters to an
        // operator (a listener that cannot bind) is thrown and logged by the agent instead.
        var quiet = logger
        quiet.logLevel = .critical
        return Application(router: router, server: server, configuration: ApplicationConfiguration(address: address), onServerRunning: onRunning, logger: quiet)
    }

    /// `/metrics` for Prometheus, and nothing else; with a `secret`, only for callers that send it.
    private func metricsRouter(secret: ClusterSecret?) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        if let secret { router.add(middleware: BearerSecretMiddleware(secret: secret)) }
        router.get("metrics") { _, _ in APIResponse(contentType: "text/plain; version=0.0.4", body: Array(metrics.render().utf8)) }
        return router
    }

    /// "host:port" or "[v6]:port" as host (without brackets) and port.
    static func hostPort(_ listen: String) -> (String, Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else { return nil }
        let host = listen[..<colon]
        return (host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : String(host), port)
    }
}
