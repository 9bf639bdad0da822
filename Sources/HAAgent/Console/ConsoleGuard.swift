import Hummingbird

/// Stands before every console path but the login page and its stylesheet: without a live
/// session a GET is sent to the login page and anything else is refused; every POST must come
/// from the console's own origin and carry the session's CSRF token (403 otherwise).
struct ConsoleGuard: RouterMiddleware {
    let console: ConsoleService

    func handle(_ request: Request, context: APIRequestContext,
                next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        var opened: ConsoleSession?
        var session = console.session(cookieHeader: request.headers[.cookie])
        if session == nil {
            if console.clientCertificates {
                // The TLS listener verified the caller's certificate: a session only carries the CSRF token.
                opened = console.openSession()
                session = opened
            } else if request.method == .get || request.method == .head {
                return ConsoleService.redirect(to: ConsoleService.prefix + "/login")
            } else {
                return refuse("not signed in; sign in at \(ConsoleService.prefix)/login", status: .forbidden)
            }
        }
        var request = request
        if request.method != .get && request.method != .head {
            guard ConsoleSessionBook.sameOrigin(request.headers[.origin], host: request.head.authority) else {
                return refuse("cross-origin request refused: Origin \(request.headers[.origin] ?? "missing") is not this console's", status: .forbidden)
            }
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            context.consoleForm = ConsoleForm(String(buffer: body))
            guard let session, ConsoleSessionBook.csrfMatches(session, offered: context.consoleForm["csrf"]) else {
                return refuse("missing or wrong CSRF token: reload the page and try again", status: .forbidden)
            }
        }
        context.consoleSession = session
        var response = try await next(request, context)
        if let opened, response.headers[.setCookie] == nil { response.headers[.setCookie] = ConsoleService.cookie(opened) }
        return response
    }

    private func refuse(_ message: String, status: HTTPResponse.Status) -> Response {
        console.outcome("Refused", message, failed: true, back: ConsoleService.prefix + "/", session: nil, status: status)
    }
}
