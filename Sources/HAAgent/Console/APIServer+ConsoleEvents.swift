import AgentAPI
import Foundation
import Hummingbird
import NIOCore

extension APIServer {
    /// How long one event stream stays open; the browser's EventSource then reconnects, resuming
    /// after the last event it had (`Last-Event-ID`), so no stream outlives its agent for long.
    static let eventStreamSeconds = 300

    /// The console's live feed: each decision as a server-sent event (`id:` its cursor, `data:` its
    /// `DecisionView` as one JSON line), read through `decisions`, the same long poll `/v1/events` serves.
    func eventStream(_ request: Request) -> Response {
        let start = request.headers[.init("Last-Event-ID")!] ?? ConsoleForm(request.uri.query ?? "")["after"]
        var headers = ConsoleService.securityHeaders(contentType: "text/event-stream")
        headers[.init("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var cursor = start
            let until = Date().addingTimeInterval(Double(Self.eventStreamSeconds))
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            while Date() < until, !Task.isCancelled {
                guard let after = cursor else {
                    // No decision yet: the first one written becomes the start.
                    cursor = try await self.decisions(try DecisionQuery(query: "limit=1")).cursor
                    if cursor == nil { try await Task.sleep(for: .seconds(2)) }
                    continue
                }
                let page = try await self.decisions(try DecisionQuery(query: "after=\(after)&wait=15&limit=200"))
                var text = page.events.isEmpty ? ": waiting\n\n" : ""
                for event in page.events {
                    text += "id: \(event.id)\ndata: \(String(decoding: try APICoding.encodeLine(event), as: UTF8.self))\n\n"
                }
                try await writer.write(ByteBuffer(string: text))
                cursor = page.cursor ?? after
            }
            try await writer.finish(nil)
        })
    }
}
