import AgentAPI
import Foundation
import HACoordination
import HACore
import Logging
import Hummingbird
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
        try await withThrowingTaskGroup(of: Void.self) { group in
            let socket = try UnixSocketPlacement(path: configuration.api.socket, mode: 0o600)
            let local = application(router(), at: .unixDomainSocket(path: socket.bindPath)) { channel in
                if !socket.publish() { try? await channel.close() }
            }
            group.addTask {
                defer { socket.discard() }
                try await local.run()
                try socket.check()
            }
            if let (host, port) = Self.hostPort(configuration.api.metricsListen) {
                let metrics = application(metricsRouter(), at: .hostname(host, port: port))
                group.addTask { try await metrics.run() }
            }
            if let (host, port) = Self.hostPort(configuration.api.tcpListen), let secretFile = configuration.api.secretFile {
                let secret = try ClusterSecret(path: secretFile)
                let remote = application(router(secret: secret), at: .hostname(host, port: port))
                group.addTask { try await remote.run() }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// One listener: the router's answers at one address.
    private func application(_ router: Router<APIRequestContext>, at address: BindAddress,
                             onRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        // Hummingbird logs a cancelled listener (the agent stopping) as an error; what matters to an
        // operator (a listener that cannot bind) is thrown and logged by the agent instead.
        var quiet = logger
        quiet.logLevel = .critical
        return Application(router: router, configuration: ApplicationConfiguration(address: address), onServerRunning: onRunning, logger: quiet)
    }

    /// `/metrics` for Prometheus, and nothing else.
    private func metricsRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.get("metrics") { _, _ in APIResponse(contentType: "text/plain; version=0.0.4", body: Array(metrics.render().utf8)) }
        return router
    }

    static func hostPort(_ listen: String) -> (String, Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else { return nil }
        return (String(listen[..<colon]), port)
    }
}
