/// One decision of the cluster's coordinator as `GET /v1/events` returns it.
public struct DecisionView: Codable, Sendable, Equatable {
    /// Its position in the log: pass it as `after` to read what came next.
    public var id: String
    /// When it was decided (ISO 8601, UTC).
    public var time: String
    /// The event it answers.
    public var trigger: String
    /// bring-online, take-offline, restart, live-migrate, quick-migrate, fence or alert.
    public var kind: String
    /// The decision in one line.
    public var action: String
    public var group: String?
    public var nodes: [String]
    /// An alert's severity: info, warning or critical.
    public var severity: String?
    /// Why, with the candidates placement considered where it placed.
    public var reason: String

    public init(id: String, time: String, trigger: String, kind: String, action: String, group: String?, nodes: [String],
                severity: String?, reason: String) {
        self.id = id
        self.time = time
        self.trigger = trigger
        self.kind = kind
        self.action = action
        self.group = group
        self.nodes = nodes
        self.severity = severity
        self.reason = reason
    }
}

/// A page of decisions, oldest first, and the cursor to read on from.
public struct DecisionPage: Codable, Sendable, Equatable {
    public var events: [DecisionView]
    /// The id of the last decision read (or the `after` asked for, when none came): the next `after`.
    public var cursor: String?

    public init(events: [DecisionView], cursor: String?) {
        self.events = events
        self.cursor = cursor
    }
}

extension AgentAPI {
    /// The coordinator's decisions, oldest first. Without `after`: the newest `limit` that match.
    /// With `after`: the next `limit` after that id; `wait` seconds (at most 60) holds the answer
    /// until one comes (a long poll, as `vigil events --follow` reads it).
    public static func events(group: String? = nil, node: String? = nil, after: String? = nil, sinceMilliseconds: Int64? = nil,
                              limit: Int? = nil, wait: Int? = nil) -> String {
        let items: [(String, String?)] = [("group", group), ("node", node), ("after", after), ("since", sinceMilliseconds.map { "\($0)" }),
                                          ("limit", limit.map { "\($0)" }), ("wait", wait.map { "\($0)" })]
        let query = items.compactMap { name, value in value.map { "\(name)=\($0)" } }.joined(separator: "&")
        return "/v1/events" + (query.isEmpty ? "" : "?" + query)
    }
}
