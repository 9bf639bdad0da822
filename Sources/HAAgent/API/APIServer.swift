import AgentAPI
import Foundation
import HACoordination
import HACore
import Logging
import NIOHTTP1

/// The agent's API: on a root-only unix socket for the CLI, plus `/metrics` for Prometheus on TCP.
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

    /// Serves the unix socket and the metrics address until cancelled.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await HTTPServer(address: .unixSocket(path: configuration.api.socket, mode: 0o600), logger: logger) { request in
                    await self.route(request)
                }.run()
            }
            if let (host, port) = Self.hostPort(configuration.api.metricsListen) {
                group.addTask {
                    try await HTTPServer(address: .tcp(host: host, port: port), logger: logger) { request in
                        request.path == "/metrics"
                            ? HTTPResponse(contentType: "text/plain; version=0.0.4", body: Array(metrics.render().utf8))
                            : .error(.notFound, "only /metrics is served here")
                    }.run()
                }
            }
            if let (host, port) = Self.hostPort(configuration.api.tcpListen), let secretFile = configuration.api.secretFile {
                let secret = try ClusterSecret(path: secretFile)
                group.addTask {
                    try await HTTPServer(address: .tcp(host: host, port: port), logger: logger) { request in
                        guard secret.authorizes(request.headers) else {
                            return .error(.unauthorized, "missing or wrong cluster secret (Authorization: Bearer ...)")
                        }
                        return await self.route(request)
                    }.run()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func hostPort(_ listen: String) -> (String, Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else { return nil }
        return (String(listen[..<colon]), port)
    }

    /// Dispatches one request.
    func route(_ request: HTTPRequest) async -> HTTPResponse {
        let parts = request.path.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? String(parts[1]) : ""
        let segments = path.split(separator: "/").map(String.init)
        do {
            switch (request.method, segments.count, segments.first) {
            case (.GET, 2, "v1") where segments[1] == "status":
                return .json(try await status())
            case (.POST, 2, "v1") where segments[1] == "vms":
                let checkOnly = query.split(separator: "&").contains("check=1")
                return .json(try await addVM(try decode(AddVMRequest.self, request.body), checkOnly: checkOnly),
                             status: checkOnly ? .ok : .created)
            case (.GET, 4, "v1") where segments[1] == "vms" && segments[3] == "xml":
                return .json(try await vmConfiguration(segments[2]))
            case (.PUT, 3, "v1") where segments[1] == "vms":
                return .json(try await editVM(segments[2], try decode(EditVMRequest.self, request.body)))
            case (.DELETE, 3, "v1") where segments[1] == "vms":
                return .json(try await removeVM(segments[2]))
            case (.DELETE, 3, "v1") where segments[1] == "groups":
                return .json(try await removeGroup(GroupID(segments[2])))
            case (.POST, 4, "v1") where segments[1] == "groups" && segments[3] == "move":
                let move = request.body.isEmpty ? MoveRequest(to: nil) : try decode(MoveRequest.self, request.body)
                return .json(try await requestMove(GroupID(segments[2]), to: move.to.map(NodeID.init)), status: .accepted)
            case (.POST, 4, "v1") where segments[1] == "groups" && segments[3] == "stop":
                return .json(try await requestStop(GroupID(segments[2])), status: .accepted)
            case (.POST, 4, "v1") where segments[1] == "groups" && segments[3] == "start":
                let start = request.body.isEmpty ? StartRequest(node: nil) : try decode(StartRequest.self, request.body)
                return .json(try await requestStart(GroupID(segments[2]), on: start.node.map(NodeID.init)), status: .accepted)
            case (.PUT, 4, "v1") where segments[1] == "groups" && segments[3] == "policy":
                return .json(try await setPolicy(of: GroupID(segments[2]), try decode(PolicyRequest.self, request.body)))
            case (.POST, 4, "v1") where segments[1] == "nodes":
                guard let action = NodeAction(rawValue: segments[3]) else {
                    throw APIError("unknown node action '\(segments[3])'; use \(NodeAction.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return .json(try await nodeRequest(NodeID(segments[2]), action,
                                                   request.body.isEmpty ? NodeRequest() : try decode(NodeRequest.self, request.body)), status: .accepted)
            case (.GET, 4, "v1") where segments[1] == "nodes" && segments[3] == "drain-plan":
                return .json(try await drainPlan(NodeID(segments[2])))
            case (.GET, 2, "v1") where segments[1] == "moves":
                return .json(MoveList(moves: try await latestMoves().values.sorted { $0.group < $1.group }))
            case (.GET, 2, "v1") where segments[1] == "events":
                return .json(try await decisions(try DecisionQuery(query: query)))
            case (.GET, 2, "v1") where segments[1] == "capacity":
                let parameters = query.split(separator: "&")
                let failures = parameters.compactMap { $0.hasPrefix("failures=") ? Int($0.dropFirst(9)) : nil }.first ?? 1
                let failing = parameters.compactMap { $0.hasPrefix("fail=") ? NodeID(String($0.dropFirst(5))) : nil }
                return .json(try await capacity(failures: failures, failing: failing))
            default:
                return .error(.notFound, "no such API call: \(request.method) \(path)")
            }
        } catch let error as APIError {
            return .error(.badRequest, error.error)
        } catch {
            return .error(.serviceUnavailable, "\(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        do { return try APICoding.decode(type, Data(body)) } catch {
            throw APIError("malformed request body: \((error as? DecodingError)?.settingDescription ?? "\(error)")")
        }
    }
}
