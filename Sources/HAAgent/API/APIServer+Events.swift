import AgentAPI
import ClusterSchema
import Foundation
import HACoordination
import HACore

/// What `GET /v1/events` asks for.
struct DecisionQuery: Sendable {
    var group: String?
    var node: String?
    var after: String?
    var sinceMilliseconds: Int64?
    var limit = 100
    var waitSeconds = 0

    init(query: String) throws {
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let value = parts[1].removingPercentEncoding ?? parts[1]
            switch parts[0] {
            case "group": group = value
            case "node": node = value
            case "after": after = value
            case "since":
                guard let ms = Int64(value) else { throw APIError("since takes milliseconds since the epoch, not '\(value)'") }
                sinceMilliseconds = ms
            case "limit":
                guard let n = Int(value), (1...2_000).contains(n) else { throw APIError("limit takes 1 to 2000, not '\(value)'") }
                limit = n
            case "wait":
                guard let n = Int(value), (0...60).contains(n) else { throw APIError("wait takes 0 to 60 seconds, not '\(value)'") }
                waitSeconds = n
            default: continue
            }
        }
    }

    func matches(_ r: DecisionRecord) -> Bool {
        (group == nil || r.group?.rawValue == group) && (node == nil || r.nodes.contains { $0.rawValue == node })
            && (sinceMilliseconds.map { r.at.milliseconds >= $0 } ?? true)
    }
}

extension APIServer {
    /// The coordinator's decisions as stored (see `AgentAPI.events`).
    func decisions(_ query: DecisionQuery) async throws -> DecisionPage {
        let (page, revision) = try await readDecisions(query)
        guard page.events.isEmpty, query.after != nil, query.waitSeconds > 0 else { return page }
        // A long poll: wait for the next decision written, then read again.
        let store = self.store
        let arrived = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await change in store.watch(prefix: ClusterKeys.decisions.prefix, fromRevision: revision + 1) {
                    if case .put = change { return true }
                }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(query.waitSeconds))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        return arrived ? try await readDecisions(query).page : page
    }

    private func readDecisions(_ query: DecisionQuery) async throws -> (page: DecisionPage, revision: Revision) {
        let (kvs, revision) = try await store.list(prefix: ClusterKeys.decisions.prefix)
        let after = query.after.map { ClusterKeys.decisions.key($0) }
        var views: [DecisionView] = []
        for kv in kvs where after.map({ kv.key > $0 }) ?? true {
            let record = try ClusterKeys.decisions.decode(kv.value, key: kv.key)
            guard query.matches(record) else { continue }
            views.append(Self.view(record, id: ClusterKeys.decisions.name(of: kv.key)))
        }
        views = query.after == nil ? Array(views.suffix(query.limit)) : Array(views.prefix(query.limit))
        let cursor = query.after == nil ? kvs.last.map { ClusterKeys.decisions.name(of: $0.key) } : query.after
        return (DecisionPage(events: views, cursor: views.last?.id ?? cursor), revision)
    }

    private static func view(_ r: DecisionRecord, id: String) -> DecisionView {
        DecisionView(id: id, time: iso8601(r.at),
                            trigger: r.trigger, kind: r.kind, action: r.action, group: r.group?.rawValue,
                            nodes: r.nodes.map(\.rawValue), severity: r.severity?.rawValue, reason: r.reason)
    }
}
