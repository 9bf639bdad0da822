import AgentAPI
import ClusterSchema
import Foundation
import HACore
import Hummingbird

/// The web console's routes: pages read through the API's own functions (`status`, `decisions`,
/// `groupSpecs`) and actions go through the same ones the JSON API calls (`requestMove`, `nodeRequest`,
/// `addVM`, ...), so the console can never tell or do other than the CLI.
extension APIServer {
    func addConsole(to router: Router<APIRequestContext>, _ console: ConsoleService) {
        // Served without a session: the login page and its stylesheet, nothing else.
        router.get("console/login") { _, _ in console.page("login", title: "Sign in", [:], session: nil) }
        router.post("console/login") { request, context in try await self.login(request, context, console) }
        router.get("console/console.css") { _, _ in ConsoleService.asset(ConsoleAssets.css, contentType: "text/css; charset=utf-8") }

        let pages = router.group("console").add(middleware: ConsoleGuard(console: console))
        pages.get("console.js") { _, _ in ConsoleService.asset(ConsoleAssets.js, contentType: "text/javascript; charset=utf-8") }
        pages.get("") { _, context in try await self.clusterPage(console, context.consoleSession) }
        // Nested route groups, so that no page path reads like a store key (`StoreKeySpellingTests`).
        let groupPages = pages.group("groups"), nodePages = pages.group("nodes")
        groupPages.get(":group") { _, context in
            try await self.groupPage(GroupID(context.parameters.get("group") ?? ""), console, context.consoleSession)
        }
        nodePages.get(":node") { _, context in
            try await self.nodePage(NodeID(context.parameters.get("node") ?? ""), console, context.consoleSession)
        }
        groupPages.post(":group/:action") { _, context in try await self.namesChecked(console, context) { try await self.groupAction(context, console) } }
        nodePages.post(":node/:action") { _, context in try await self.namesChecked(console, context) { try await self.nodeAction(context, console) } }
        pages.get("wizard") { _, context in
            console.page("wizard", title: "HA wizard", ["xmlPath": "", "groupName": ""], session: context.consoleSession)
        }
        pages.post("wizard") { _, context in try await self.wizard(context, console) }
        pages.get("events/stream") { request, _ in self.eventStream(request) }
        pages.post("logout") { _, context in
            if let session = context.consoleSession { console.close(session) }
            var response = ConsoleService.redirect(to: ConsoleService.prefix + "/login")
            response.headers[.setCookie] = ConsoleService.cookie(nil)
            return response
        }
    }

    private func login(_ request: Request, _ context: APIRequestContext, _ console: ConsoleService) async throws -> Response {
        guard ConsoleSessionBook.sameOrigin(request.headers[.origin], host: request.head.authority) else {
            return console.page("login", title: "Sign in", ["problem": "cross-origin sign-in refused"], session: nil, status: .forbidden)
        }
        let client = context.clientAddress ?? "unknown"
        if let wait = console.signInWait(client) {
            // Not even compared: a guesser learns nothing while it waits.
            let seconds = (wait.milliseconds + 999) / 1000
            logger.warning("console sign-in refused: too many wrong secrets", metadata: ["client": "\(client)", "retryAfterSeconds": "\(seconds)"])
            var response = console.page("login", title: "Sign in", ["problem": "too many wrong secrets from \(client); try again in \(seconds) s"],
                                        session: nil, status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        var request = request
        let form = ConsoleForm(String(buffer: try await request.collectBody(upTo: context.maxUploadSize)))
        guard let secret = console.secret, secret.authorizes("Bearer " + (form["secret"] ?? "")) else {
            console.signedIn(client, rightSecret: false)
            logger.warning("console sign-in refused: wrong cluster secret", metadata: ["client": "\(client)"])
            return console.page("login", title: "Sign in", ["problem": "wrong cluster secret"], session: nil, status: .unauthorized)
        }
        console.signedIn(client, rightSecret: true)
        let session = console.openSession()
        var response = ConsoleService.redirect(to: ConsoleService.prefix + "/")
        response.headers[.setCookie] = ConsoleService.cookie(session)
        return response
    }

    /// An action whose path or form names something that cannot be a store key: the console's page
    /// naming the problem (400), not the JSON API's error body.
    private func namesChecked(_ console: ConsoleService, _ context: APIRequestContext, _ act: () async throws -> Response) async throws -> Response {
        do { return try await act() } catch let error as APIError {
            return console.outcome("Refused", error.error, failed: true, back: ConsoleService.prefix + "/", session: context.consoleSession)
        }
    }

    /// A page of the cluster, or why it cannot be read (the store did not answer: no quorum).
    private func reading(_ console: ConsoleService, _ session: ConsoleSession?, _ read: () async throws -> Response) async -> Response {
        do { return try await read() } catch let error as APIError {
            return console.outcome("Not found", error.error, failed: true, back: ConsoleService.prefix + "/", session: session, status: .notFound)
        } catch {
            return console.outcome("No quorum", "the cluster's store did not answer: \(error)", failed: true,
                                   back: ConsoleService.prefix + "/", session: session, status: .serviceUnavailable)
        }
    }

    private func recentEvents(_ filter: String) async throws -> DecisionPage {
        try await decisions(try DecisionQuery(query: filter + "&limit=20"))
    }

    private func clusterPage(_ console: ConsoleService, _ session: ConsoleSession?) async -> Response {
        await reading(console, session) {
            let status = try await self.status()
            let events = try await self.recentEvents("")
            let values = ConsoleViews.cluster(status, events: events)
            return console.page("cluster", title: "Cluster", values, session: session)
        }
    }

    private func groupPage(_ g: GroupID, _ console: ConsoleService, _ session: ConsoleSession?) async -> Response {
        await reading(console, session) {
            let status = try await self.status()
            guard let view = status.groups.first(where: { $0.name == g.rawValue }), let spec = try await self.groupSpecs()[g] else {
                throw APIError("no group named \(g)")
            }
            let alerts = ConsoleViews.alerts(status, about: g.rawValue)
            let events = try await self.recentEvents("group=\(ConsoleViews.path(g.rawValue))")
            let values: [String: Any?] = [
                "name": view.name, "path": ConsoleViews.path(view.name), "status": view.status, "note": view.note,
                "owner": view.nodes.isEmpty ? "none" : view.nodes.joined(separator: ", "),
                "preferred": (view.preferredOwners ?? []).isEmpty ? "none" : (view.preferredOwners ?? []).joined(separator: ", "),
                "priority": view.priority, "policy": view.policy, "lastFailure": view.lastFailure,
                "failoversLeft": view.failoversLeft.map(String.init),
                "alerts": alerts, "hasAlerts": !alerts.isEmpty, "resources": ConsoleViews.resources(spec),
                "verification": view.verification.map(ConsoleViews.verification),
                "nodes": status.nodes.map(\.name), "events": events.events.reversed().map(ConsoleViews.event),
            ].merging(ConsoleViews.inFlight(status, group: g.rawValue)) { a, _ in a }
            return console.page("group", title: "Group \(g)", values, session: session)
        }
    }

    private func nodePage(_ n: NodeID, _ console: ConsoleService, _ session: ConsoleSession?) async -> Response {
        await reading(console, session) {
            let status = try await self.status()
            guard let view = status.nodes.first(where: { $0.name == n.rawValue }) else { throw APIError("no node named \(n)") }
            let row = ConsoleViews.nodeRow(view, leader: status.leader)
            let alerts = ConsoleViews.alerts(status, about: n.rawValue)
            let events = try await self.recentEvents("node=\(ConsoleViews.path(n.rawValue))")
            let values: [String: Any?] = [
                "name": view.name, "path": row.path, "state": view.state, "leader": row.leader, "member": view.member ? "yes" : "no",
                "memory": row.memory, "vcpus": row.vcpus, "reserved": row.reserved ? "yes" : "no",
                "quarantinedUntil": view.quarantinedUntil.map(ConsoleViews.time), "impairment": view.impairment,
                "groups": view.groups.map { ConsoleViews.Named(name: $0, path: ConsoleViews.path($0)) },
                "alerts": alerts, "hasAlerts": !alerts.isEmpty, "drainSummary": view.drain?.summary,
                "events": events.events.reversed().map(ConsoleViews.event),
            ].merging(ConsoleViews.inFlight(status, node: n.rawValue)) { a, _ in a }
            return console.page("node", title: "Node \(n)", values, session: session)
        }
    }

    /// An action's answer as a page: what was accepted and its warnings, or why it was refused.
    private func acting(_ console: ConsoleService, _ session: ConsoleSession?, back: String, _ act: () async throws -> Accepted) async -> Response {
        do {
            let accepted = try await act()
            return console.outcome("Done", accepted.accepted, items: (accepted.warnings ?? []).map { "warning: \($0)" },
                                   failed: false, back: back, session: session)
        } catch let error as APIError {
            return console.outcome("Refused", error.error, failed: true, back: back, session: session)
        } catch {
            return console.outcome("No quorum", "the cluster's store did not answer: \(error)", failed: true, back: back,
                                   session: session, status: .serviceUnavailable)
        }
    }

    /// The confirmation page of a destructive action, unless the form says it was confirmed.
    private func confirmation(_ question: String, verb: String, action: String, back: String, keep: [String],
                              _ context: APIRequestContext, _ console: ConsoleService) -> Response? {
        guard context.consoleForm["confirmed"] != "yes" else { return nil }
        let fields = keep.compactMap { name in context.consoleForm[name].map { ["name": name, "value": $0] } }
        return console.page("confirm", title: "Confirm", ["question": question, "verb": verb, "action": action, "back": back, "fields": fields],
                            session: context.consoleSession)
    }

    private func groupAction(_ context: APIRequestContext, _ console: ConsoleService) async throws -> Response {
        let name = context.parameters.get("group") ?? "", word = context.parameters.get("action") ?? ""
        // Checked as the JSON API checks them, before a name can reach the store (400 naming the problem).
        let g = GroupID(try Self.checked(name.removingPercentEncoding ?? name, as: "group"))
        let back = ConsoleService.prefix + "/groups/" + ConsoleViews.path(g.rawValue)
        let action = back + "/" + word
        let node = try context.consoleForm.value(word == "move" ? "to" : "node").map { NodeID(try Self.checked($0, as: "node")) }
        switch word {
        case "move":
            if let page = confirmation("Move group \(g) to \(node?.rawValue ?? "the best node")? Its VMs move with it.", verb: "Move",
                                       action: action, back: back, keep: ["to"], context, console) { return page }
            return await acting(console, context.consoleSession, back: back) { try await self.requestMove(g, to: node) }
        case "stop":
            if let page = confirmation("Stop group \(g)? Its VMs shut down and stay off until it is started.", verb: "Stop",
                                       action: action, back: back, keep: [], context, console) { return page }
            return await acting(console, context.consoleSession, back: back) { try await self.requestStop(g) }
        case "start":
            return await acting(console, context.consoleSession, back: back) { try await self.requestStart(g, on: node) }
        case "verify":
            if let page = confirmation("Verify group \(g)? It moves to each of its possible owners in turn, then back where it started.",
                                       verb: "Verify", action: action, back: back, keep: [], context, console) { return page }
            return await acting(console, context.consoleSession, back: back) { try await self.requestVerify(g) }
        case "abort-verify":
            return await acting(console, context.consoleSession, back: back) { try await self.abortVerify(g) }
        case "remove":
            if let page = confirmation("Remove group \(g)? Vigil forgets it and its VMs; their domain XML stays on shared storage.",
                                       verb: "Remove", action: action, back: back, keep: [], context, console) { return page }
            return await acting(console, context.consoleSession, back: ConsoleService.prefix + "/") { try await self.removeGroup(g) }
        default:
            return console.outcome("Refused", "unknown group action '\(word)'; use move, start, stop, verify, abort-verify or remove",
                                   failed: true, back: back, session: context.consoleSession)
        }
    }

    private func nodeAction(_ context: APIRequestContext, _ console: ConsoleService) async throws -> Response {
        let name = context.parameters.get("node") ?? "", word = context.parameters.get("action") ?? ""
        let n = NodeID(try Self.checked(name.removingPercentEncoding ?? name, as: "node"))
        let back = ConsoleService.prefix + "/nodes/" + ConsoleViews.path(n.rawValue)
        guard let action = NodeAction(rawValue: word), [.drain, .abortDrain, .resume].contains(action) else {
            return console.outcome("Refused", "unknown node action '\(word)'; use drain, abort-drain or resume", failed: true, back: back,
                                   session: context.consoleSession)
        }
        if action == .drain, let page = confirmation("Drain node \(n)? Every group on it moves to other nodes, and it takes none until resumed.",
                                                     verb: "Drain", action: back + "/" + word, back: back, keep: [], context, console) {
            return page
        }
        return await acting(console, context.consoleSession, back: back) { try await self.nodeRequest(n, action) }
    }

    /// The HA wizard: `check` runs every check and stores nothing; `make` stores the group.
    private func wizard(_ context: APIRequestContext, _ console: ConsoleService) async throws -> Response {
        let form = context.consoleForm
        guard let path = form.value("xmlPath") else {
            return console.page("wizard", title: "HA wizard", ["xmlPath": "", "groupName": form["group"] ?? "", "checked": true,
                                                              "hasErrors": true, "hasVMErrors": true, "vmErrors": ["give the path of the VM's domain XML"]],
                                session: context.consoleSession, status: .badRequest)
        }
        let request = AddVMRequest(domain: nil, xmlPath: path, group: form.value("group"))
        if form["step"] == "make" {
            return await acting(console, context.consoleSession, back: ConsoleService.prefix + "/wizard") { try await self.addVM(request) }
        }
        var values: [String: Any?] = ["xmlPath": path, "groupName": form["group"] ?? "", "checked": true]
        let report: [String: Any?]
        do {
            let accepted = try await addVM(request, checkOnly: true)
            values.merge(["passes": true, "summary": accepted.accepted]) { a, _ in a }
            report = ConsoleViews.wizardReport(errors: [], warnings: accepted.warnings ?? [], report: accepted.report, members: [])
        } catch let error as APIError {
            let members = error.report == nil ? try await status().nodes.filter(\.member).map(\.name) : []
            report = ConsoleViews.wizardReport(errors: Self.problems(error.error), warnings: [], report: error.report, members: members)
        }
        values.merge(report) { a, _ in a }
        return console.page("wizard", title: "HA wizard", values, session: context.consoleSession,
                            status: values["hasErrors"] == nil ? .ok : .badRequest)
    }

    /// The wizard's one error message as its problems, one per line ("VM x cannot run on every possible owner: a; b").
    static func problems(_ message: String) -> [String] {
        guard let colon = message.range(of: ": ") else { return [message] }
        let head = String(message[..<colon.lowerBound])
        let parts = message[colon.upperBound...].components(separatedBy: "; ")
        return parts.count > 1 ? parts.map { "\(head): \($0)" } : [message]
    }
}
