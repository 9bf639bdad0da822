import AgentAPI
import Foundation
import HACore
import Hummingbird
import Mustache
import Synchronization

/// The console's state on one TCP listener: its templates, its sessions, and how it authenticates
/// (the cluster secret, or the client certificate the TLS listener already verified).
final class ConsoleService: Sendable {
    /// Every console path lies under this one.
    static let prefix = "/console"
    static let cookieName = "vigil_session"

    let secret: ClusterSecret?
    /// The TLS listener verifies every caller's certificate: a session opens without signing in.
    let clientCertificates: Bool
    private let library: MustacheLibrary
    private let book = Mutex(ConsoleSessionBook())
    private let throttle = Mutex(SignInThrottle())

    init(secret: ClusterSecret?, clientCertificates: Bool) throws {
        self.secret = secret
        self.clientCertificates = clientCertificates
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in ConsoleTemplates.all.merging(ConsoleTemplates.partials, uniquingKeysWith: { a, _ in a }) {
            templates[name] = try MustacheTemplate(string: text)
        }
        library = MustacheLibrary(templates: templates)
    }

    func session(cookieHeader: String?) -> ConsoleSession? {
        let id = ConsoleForm.cookie(Self.cookieName, in: cookieHeader)
        return book.withLock { $0.session(id: id, now: .wallClockNow) }
    }

    func openSession() -> ConsoleSession {
        book.withLock {
            $0.open(now: .wallClockNow) {
                var generator = SystemRandomNumberGenerator()
                return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            }
        }
    }

    func close(_ session: ConsoleSession) { book.withLock { $0.close(id: session.id) } }

    /// How long `client` must wait before it may try a secret again, if it must.
    func signInWait(_ client: String) -> TimeSpan? { throttle.withLock { $0.wait(for: client, now: .wallClockNow) } }

    /// Counts a sign-in: a wrong secret against `client`, a right one forgives it.
    func signedIn(_ client: String, rightSecret: Bool) {
        throttle.withLock { rightSecret ? $0.succeeded(client) : $0.failed(client, now: .wallClockNow) }
    }

    /// The session cookie: only over TLS, never to scripts, never on another site's requests.
    static func cookie(_ session: ConsoleSession?) -> String {
        guard let session else { return "\(cookieName)=; Path=\(prefix); HttpOnly; Secure; SameSite=Strict; Max-Age=0" }
        return "\(cookieName)=\(session.id); Path=\(prefix); HttpOnly; Secure; SameSite=Strict; Max-Age=\(ConsoleSessionBook.lifetime.milliseconds / 1000)"
    }

    /// One page inside the layout, which says when its data was read; absent (nil) values render as
    /// absent, never as "nil".
    func render(_ template: String, title: String, _ values: [String: Any?], session: ConsoleSession?) -> String {
        var values = values.compactMapValues { $0 }
        values["csrf"] = session?.csrfToken ?? ""
        let body = library.render(values, withTemplate: template) ?? ""
        let layout: [String: Any] = ["title": title, "body": body, "signedIn": session != nil, "csrf": session?.csrfToken ?? "",
                                     "readAt": ConsoleViews.time(APIServer.iso8601(.wallClockNow))]
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    func page(_ template: String, title: String, _ values: [String: Any?], session: ConsoleSession?,
              status: HTTPResponse.Status = .ok) -> Response {
        Self.html(render(template, title: title, values, session: session), status: status)
    }

    /// A page that tells what happened: an action's answer, or why it was refused.
    func outcome(_ heading: String, _ message: String, items: [String] = [], failed: Bool, back: String,
                 session: ConsoleSession?, status: HTTPResponse.Status? = nil) -> Response {
        page("result", title: heading,
             ["heading": heading, "message": message, "items": items, "hasItems": !items.isEmpty,
              "kind": failed ? "error" : "ok", "back": back],
             session: session, status: status ?? (failed ? .badRequest : .ok))
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: securityHeaders(contentType: "text/html; charset=utf-8"),
                 body: .init(byteBuffer: .init(string: text)))
    }

    static func asset(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: securityHeaders(contentType: contentType), body: .init(byteBuffer: .init(string: text)))
    }

    static func redirect(to location: String) -> Response {
        var headers = securityHeaders(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        return Response(status: .seeOther, headers: headers, body: .init(byteBuffer: .init(string: "see \(location)\n")))
    }

    /// No framing, no inline script, nothing cached: a console page shows the cluster as read now.
    static func securityHeaders(contentType: String) -> HTTPFields {
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-store"]
        headers[.init("Content-Security-Policy")!] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("Referrer-Policy")!] = "same-origin"
        return headers
    }
}
