import AgentAPI
import Foundation
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
