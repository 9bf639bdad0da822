import AgentAPI
import ArgumentParser
import Foundation

/// `vigil events`: the coordinator's decisions and why, oldest first.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the cluster's decisions (placements, restarts, failovers, moves, fencing, alerts) and why.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Keep printing decisions as they are made, until interrupted (with --output json: one JSON object per line).") var follow = false
    @Option(help: "Only decisions about this group.") var group: String?
    @Option(help: "Only decisions that concern this node.") var node: String?
    @Option(help: "Only decisions since then: an age (30s, 10m, 2h, 1d) or an ISO 8601 time.") var since: String?
    @Option(help: "At most this many of the newest decisions (1 to 2000).") var limit = 100

    func run() async throws {
        let since = try self.since.map(Self.milliseconds)
        var page = try await options.client.decode(DecisionPage.self, .GET,
                                                   AgentAPI.events(group: group, node: node, sinceMilliseconds: since, limit: limit))
        if !follow { return try emit(page.events, options.output, text: Self.text) }
        while true {
            // JSON while following is NDJSON: one decision per line, as it is made.
            for event in page.events {
                switch options.output {
                case .json: print(String(decoding: try APICoding.encodeLine(event), as: UTF8.self))
                case .text: print(Self.line(event))
                }
            }
            fflush(nil)  // a pipe reader sees each decision at once
            page = try await options.client.decode(DecisionPage.self, .GET,
                                                   AgentAPI.events(group: group, node: node, after: page.cursor ?? "", limit: 2_000, wait: 20))
        }
    }

    /// An age (`30s`, `10m`, `2h`, `1d`) before now, or an ISO 8601 time, as milliseconds since the epoch.
    static func milliseconds(_ text: String) throws -> Int64 {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count >= 0 {
            return Int64((Date().timeIntervalSince1970 - count * unit) * 1000)
        }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        }
        throw ValidationError("--since takes an age such as 10m or 2h, or an ISO 8601 time such as 2026-12-01T10:00:00Z, not '\(text)'")
    }

    static func text(_ events: [DecisionView]) -> String {
        events.isEmpty ? "no decisions recorded" : events.map(line).joined(separator: "\n")
    }

    /// One decision on one line, its time in this viewer's time zone.
    static func line(_ e: DecisionView) -> String {
        // A move's nodes are its source and target; any other decision names its own node first,
        // then its trigger's (a failover after "node-fenced h2" on h1 reads "db h1,h2", not a move).
        let moves = e.kind == "live-migrate" || e.kind == "quick-migrate"
        let subject = [e.group, e.nodes.isEmpty ? nil : e.nodes.joined(separator: moves ? "->" : ",")].compactMap { $0 }.joined(separator: " ")
        let kind = e.severity.map { "\(e.kind) \($0)" } ?? e.kind
        return "\(localTime(e.time))  \(kind)  \(subject.isEmpty ? "-" : subject)  \(e.reason)  [after \(e.trigger)]"
    }

    private static func localTime(_ iso: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = parser.date(from: iso) else { return iso }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: date)
    }
}
