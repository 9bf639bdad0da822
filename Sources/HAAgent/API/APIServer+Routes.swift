import AgentAPI
import ClusterSchema
import Foundation
import HACore
import Hummingbird
import NIOCore

extension APIServer {
    /// Every API call, each routed to its handler; errors become JSON bodies (`APIErrorMiddleware`).
    /// With a `secret`, every call must carry it (`BearerSecretMiddleware`); with a `console`, the web
    /// console is served under `/console`, authenticated by its own sessions (`ConsoleGuard`).
    func router(secret: ClusterSecret? = nil, console: ConsoleService? = nil) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        if let secret { router.add(middleware: BearerSecretMiddleware(secret: secret, exempt: console.map { _ in ConsoleService.prefix })) }
        if let console { addConsole(to: router, console) }
        router.get("v1/status") { _, _ in APIResponse.json(try await self.status()) }
        router.post("v1/vms") { request, context in
            let checkOnly = (request.uri.query ?? "").split(separator: "&").contains("check=1")
            let body = try await Self.decode(AddVMRequest.self, request, context)
            return APIResponse.json(try await self.addVM(body, checkOnly: checkOnly), status: checkOnly ? .ok : .created)
        }
        router.get("v1/vms/:vm/xml") { _, context in
            APIResponse.json(try await self.vmConfiguration(try Self.name("vm", as: "VM", context)))
        }
        router.put("v1/vms/:vm") { request, context in
            let vm = try Self.name("vm", as: "VM", context)
            return APIResponse.json(try await self.editVM(vm, try await Self.decode(EditVMRequest.self, request, context)))
        }
        router.delete("v1/vms/:vm") { _, context in
            APIResponse.json(try await self.removeVM(try Self.name("vm", as: "VM", context)))
        }
        router.delete("v1/groups/:group") { _, context in
            APIResponse.json(try await self.removeGroup(GroupID(try Self.name("group", as: "group", context))))
        }
        router.post("v1/groups/:group/move") { request, context in
            let group = GroupID(try Self.name("group", as: "group", context))
            let move = try await Self.decode(MoveRequest.self, request, context, empty: MoveRequest(to: nil))
            return APIResponse.json(try await self.requestMove(group, to: try move.to.map { NodeID(try Self.checked($0, as: "node")) }), status: .accepted)
        }
        router.post("v1/groups/:group/stop") { _, context in
            APIResponse.json(try await self.requestStop(GroupID(try Self.name("group", as: "group", context))), status: .accepted)
        }
        router.post("v1/groups/:group/start") { request, context in
            let group = GroupID(try Self.name("group", as: "group", context))
            let start = try await Self.decode(StartRequest.self, request, context, empty: StartRequest(node: nil))
            return APIResponse.json(try await self.requestStart(group, on: try start.node.map { NodeID(try Self.checked($0, as: "node")) }), status: .accepted)
        }
        addVerifyRoutes(router)
        router.put("v1/groups/:group/policy") { request, context in
            let group = GroupID(try Self.name("group", as: "group", context))
            return APIResponse.json(try await self.setPolicy(of: group, try await Self.decode(PolicyRequest.self, request, context)))
        }
        router.post("v1/nodes/:node/:action") { request, context in
            let node = NodeID(try Self.name("node", as: "node", context))
            let word = context.parameters.get("action") ?? ""
            guard let action = NodeAction(rawValue: word) else {
                throw APIError("unknown node action '\(word)'; use \(NodeAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let body = try await Self.decode(NodeRequest.self, request, context, empty: NodeRequest())
            return APIResponse.json(try await self.nodeRequest(node, action, body), status: .accepted)
        }
        router.get("v1/nodes/:node/drain-plan") { _, context in
            APIResponse.json(try await self.drainPlan(NodeID(try Self.name("node", as: "node", context))))
        }
        router.get("v1/moves") { _, _ in
            APIResponse.json(MoveList(moves: try await self.latestMoves().values.sorted { $0.group < $1.group }))
        }
        router.get("v1/events") { request, _ in
            APIResponse.json(try await self.decisions(try DecisionQuery(query: request.uri.query ?? "")))
        }
        router.get("v1/capacity") { request, _ in
            let parameters = (request.uri.query ?? "").split(separator: "&")
            let failures = parameters.compactMap { $0.hasPrefix("failures=") ? Int($0.dropFirst(9)) : nil }.first ?? 1
            let failing = parameters.compactMap { $0.hasPrefix("fail=") ? NodeID(String($0.dropFirst(5))) : nil }
            return APIResponse.json(try await self.capacity(failures: failures, failing: failing))
        }
        return router
    }

    /// A name from the path (percent-decoded), checked before it can become part of a store key.
    static func name(_ parameter: String, as kind: String, _ context: APIRequestContext) throws(APIError) -> String {
        let raw = context.parameters.get(parameter) ?? ""
        return try checked(raw.removingPercentEncoding ?? raw, as: kind)
    }

    /// The name, if it may become part of a store key; else the reason it may not.
    static func checked(_ name: String, as kind: String) throws(APIError) -> String {
        do { try StoreName.check(name, as: kind) } catch { throw APIError(error.description) }
        return name
    }

    /// The request's JSON body as `T` (`empty` when there is none and that is allowed); at most
    /// `maximumBodyBytes`, else Hummingbird's 413.
    private static func decode<T: Codable>(_ type: T.Type, _ request: Request, _ context: APIRequestContext, empty: T? = nil) async throws -> T {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: context.maxUploadSize) } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge)
        }
        if body.readableBytes == 0, let empty { return empty }
        return try StrictJSON.decode(type, Array(body.readableBytesView))
    }
}
