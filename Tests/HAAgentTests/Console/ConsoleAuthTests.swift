import AgentAPI
import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import XCTest
@testable import HAAgent

/// Who reaches the console on the TLS listener: without a session only the login page and its
/// stylesheet; with client-certificate auth, a caller the CA signed is in without signing in; the
/// JSON API's bearer rule is unchanged beside it.
final class ConsoleAuthTests: XCTestCase {
    func testWithoutASessionOnlyTheLoginPageAndItsStylesheetAreServed() async throws {
        let (h, certificates, listen) = try APITLSTests.agent()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let ca = certificates.caCertificate
        for path in ["/console/", "/console/console.js", "/console/wizard", "/console/nodes/solo", "/console/events/stream"] {
            // AsyncHTTPClient follows the redirect: every page ends on the login form.
            let answer = try await APITLSTests.get("https://\(listen)\(path)", trusting: ca)
            XCTAssertEqual(answer.status, 200, path)
            XCTAssertTrue(answer.text.contains(#"<form method="post" action="/console/login""#), "\(path) leads to the login page")
            XCTAssertFalse(answer.text.contains("solo"), "\(path) shows nothing of the cluster")
        }
        let css = try await APITLSTests.get("https://\(listen)/console/console.css", trusting: ca)
        XCTAssertTrue(css.text.contains("font:"), "the stylesheet is served to the login page")
        let api = try await APITLSTests.get("https://\(listen)\(AgentAPI.status)", trusting: ca)
        XCTAssertEqual(api.status, 401, "the JSON API still needs the bearer secret")
        let withBearer = try await APITLSTests.get("https://\(listen)/console/", trusting: ca, bearer: APITLSTests.secret)
        XCTAssertTrue(withBearer.text.contains("/console/login"), "the bearer secret is no console session")
    }

    func testAClientCertificateTheCASignedOpensTheConsoleWithoutSigningIn() async throws {
        let (h, certificates, listen) = try APITLSTests.agent(clientCA: true, withSecret: false)
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let page = try await APITLSTests.get("https://\(listen)/console/", trusting: certificates.caCertificate,
                                             certificate: (certificates.clientCertificate, certificates.clientKey))
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<h1>Cluster</h1>") && page.text.contains("solo"), page.text)
        XCTAssertTrue(page.text.contains(#"name="csrf" value=""#) && !page.text.contains(#"name="csrf" value="""#), "forms carry a CSRF token")
    }
}

/// Sign-in, the cookie's attributes, Origin and CSRF as a client without a browser sees them, and an
/// open event stream that does not hold up the agent's stop.
final class ConsoleSessionHTTPTests: XCTestCase {
    /// One request, redirects not followed: status, headers and body.
    static func send(_ method: HTTPMethod, _ url: String, ca: String, headers: [(String, String)] = [], form: String? = nil,
                     read: Bool = true) async throws -> (status: Int, headers: HTTPHeaders, text: String) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let result: Result<(Int, HTTPHeaders, String), any Error>
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = read ? String(buffer: try await response.body.collect(upTo: 1 << 20)) : ""
            result = .success((Int(response.status.code), response.headers, body))
        } catch { result = .failure(error) }
        try await client.shutdown()
        return try result.get()
    }

    /// A whole agent serving its TLS listener, started: its base URL and the CA that signed its certificate.
    static func startedAgent() async throws -> (h: AgentHarness, base: String, ca: String) {
        let (h, certificates, listen) = try APITLSTests.agent()
        h.start()
        do { try await h.waitForAPI() } catch {
            await h.stop()
            throw error
        }
        return (h, "https://\(listen)", certificates.caCertificate)
    }

    /// The CSRF token the page's forms carry.
    static func csrfToken(in page: String) throws -> String {
        try XCTUnwrap(page.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression)
            .map { String(page[$0].dropFirst(#"name="csrf" value=""#.count).dropLast()) })
    }

    func testSignInSetsAStrictCookieAndPostsNeedTheOriginAndTheToken() async throws {
        let (h, certificates, listen) = try APITLSTests.agent()
        h.start()
        defer { Task { await h.stop() } }
        try await h.waitForAPI()
        let base = "https://\(listen)", ca = certificates.caCertificate, origin = ("Origin", "https://\(listen)")
        let foreign = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [("Origin", "https://evil.example")],
                                          form: "secret=\(APITLSTests.secret)")
        XCTAssertEqual(foreign.status, 403, "a sign-in from another site is refused")
        let wrong = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [origin], form: "secret=not-the-secret-at-all")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(wrong.headers["Set-Cookie"].isEmpty)
        let signIn = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [origin], form: "secret=\(APITLSTests.secret)")
        XCTAssertEqual(signIn.status, 303)
        let cookie = try XCTUnwrap(signIn.headers["Set-Cookie"].first)
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] { XCTAssertTrue(cookie.contains(attribute), cookie) }
        let session = String(cookie.prefix { $0 != ";" })
        XCTAssertEqual(session.count, "vigil_session=".count + 64)

        let page = try await Self.send(.GET, base + "/console/", ca: ca, headers: [("Cookie", session)])
        XCTAssertEqual(page.status, 200)
        let token = try Self.csrfToken(in: page.text)
        let noToken = try await Self.send(.POST, base + "/console/nodes/solo/resume", ca: ca, headers: [("Cookie", session), origin], form: "")
        XCTAssertEqual(noToken.status, 403)
        XCTAssertTrue(noToken.text.contains("missing or wrong CSRF token"))
        let noOrigin = try await Self.send(.POST, base + "/console/nodes/solo/resume", ca: ca, headers: [("Cookie", session)], form: "csrf=\(token)")
        XCTAssertEqual(noOrigin.status, 403, "a POST without Origin is refused")
        let resumed = try await Self.send(.POST, base + "/console/nodes/solo/resume", ca: ca, headers: [("Cookie", session), origin], form: "csrf=\(token)")
        XCTAssertEqual(resumed.status, 200, resumed.text)
        XCTAssertTrue(resumed.text.contains("resume of solo requested"))

        _ = try await Self.send(.POST, base + "/console/logout", ca: ca, headers: [("Cookie", session), origin], form: "csrf=\(token)")
        let after = try await Self.send(.GET, base + "/console/", ca: ca, headers: [("Cookie", session)])
        XCTAssertEqual(after.status, 303, "the signed-out session opens nothing")
    }

    func testRepeatedWrongSecretsFromOneAddressGet429WithRetryAfter() async throws {
        let (h, base, ca) = try await Self.startedAgent()
        defer { Task { await h.stop() } }
        let origin = ("Origin", base)
        for attempt in 1...SignInThrottle.freeFailures {
            let wrong = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [origin], form: "secret=wrong-\(attempt)")
            XCTAssertEqual(wrong.status, 401, "wrong secret \(attempt) of the free ones")
        }
        let limited = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [origin], form: "secret=\(APITLSTests.secret)")
        XCTAssertEqual(limited.status, 429, "past the free failures even the right secret waits")
        XCTAssertEqual(limited.headers["Retry-After"].first, String(SignInThrottle.firstWait.milliseconds / 1000))
        XCTAssertTrue(limited.text.contains("too many wrong secrets from 127.0.0.1"), limited.text)
        XCTAssertTrue(limited.headers["Set-Cookie"].isEmpty, "no session")
    }

    func testHostileNamesInFormsAndPathsGetA400PageNamingTheProblemEscaped() async throws {
        let (h, base, ca) = try await Self.startedAgent()
        defer { Task { await h.stop() } }
        let origin = ("Origin", base)
        let signIn = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [origin], form: "secret=\(APITLSTests.secret)")
        let session = ("Cookie", String(try XCTUnwrap(signIn.headers["Set-Cookie"].first).prefix { $0 != ";" }))
        let token = try Self.csrfToken(in: try await Self.send(.GET, base + "/console/", ca: ca, headers: [session]).text)
        let cases: [(path: String, form: String, named: String)] = [
            ("/console/groups/..%2Fetc/stop", "", "group name '../etc'"),
            ("/console/groups/a%2Fb/start", "", "group name 'a/b'"),
            ("/console/groups/bell%07/move", "confirmed=yes", "group name 'bell\\u{07}'"),
            ("/console/groups/%3Cscript%3Ealert(1)%3C%2Fscript%3E/stop", "", "group name '&lt;script&gt;alert(1)&lt;/script&gt;'"),
            ("/console/groups/solo/move", "confirmed=yes&to=..", "node name '..' cannot be"),
            ("/console/nodes/..%2F..%2Fx/drain", "", "node name '../../x'"),
            ("/console/wizard", "step=check&xmlPath=%2Fnone.xml&group=..", "group name '..' cannot be"),
            // Markup is no reason to refuse a name (libvirt allows it), but it is escaped wherever it is shown.
            ("/console/groups/%3Cb%3Ebold/stop", "confirmed=yes", "no group named &lt;b&gt;bold"),
        ]
        for c in cases {
            let answer = try await Self.send(.POST, base + c.path, ca: ca, headers: [session, origin], form: "csrf=\(token)&" + c.form)
            XCTAssertEqual(answer.status, 400, "\(c.path) \(c.form)")
            XCTAssertEqual(answer.headers["Content-Type"].first, "text/html; charset=utf-8", "a console page, not the JSON API's error")
            XCTAssertTrue(answer.text.contains(c.named.replacingOccurrences(of: "'", with: "&#39;")), "\(c.path): the page names the problem: \(answer.text)")
            XCTAssertFalse(answer.text.contains("<script>") || answer.text.contains("<b>"), "nothing hostile unescaped")
        }
    }

    func testAnOpenEventStreamDoesNotHoldUpTheAgentsStop() async throws {
        let (h, certificates, listen) = try APITLSTests.agent()
        h.start()
        try await h.waitForAPI()
        let base = "https://\(listen)", ca = certificates.caCertificate
        let signIn = try await Self.send(.POST, base + "/console/login", ca: ca, headers: [("Origin", base)], form: "secret=\(APITLSTests.secret)")
        let session = String(try XCTUnwrap(signIn.headers["Set-Cookie"].first).prefix { $0 != ";" })
        let stream = try await Self.send(.GET, base + "/console/events/stream", ca: ca, headers: [("Cookie", session)], read: false)
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.headers["Content-Type"].first, "text/event-stream")
        let started = Date()
        await h.stop()
        print("agent stopped in \(Date().timeIntervalSince(started)) s with a console event stream open")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "the agent stopped with a console tab open")
    }
}
