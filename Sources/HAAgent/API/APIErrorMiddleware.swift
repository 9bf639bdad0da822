import AgentAPI
import Hummingbird

/// Turns every error a route throws into the API's JSON error body: a refused request (`APIError`)
/// is 400, Hummingbird's own (no route, body too large) keep their status with a message naming
/// the problem, and anything else means the store did not answer (503). A body announced larger
/// than the limit is refused on every route, before any handler runs.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > context.maxUploadSize {
                throw HTTPError(.contentTooLarge)
            }
            return try await next(request, context)
        } catch let error as APIError {
            return try APIResponse.error(.badRequest, error.error).response(from: request, context: context)
        } catch let error as HTTPError {
            let message: String
            switch error.status {
            case .notFound: message = "no such API call: \(request.method.rawValue) \(request.uri.path)"
            case .contentTooLarge: message = "request body over \(context.maxUploadSize) bytes"
            default: message = error.body ?? error.status.reasonPhrase
            }
            return try APIResponse.error(error.status, message).response(from: request, context: context)
        } catch {
            return try APIResponse.error(.serviceUnavailable, "\(error)").response(from: request, context: context)
        }
    }
}

/// Refuses, with 401, every request that does not carry the cluster secret as a bearer token; the
/// console's paths (`exempt`), when it is served, authenticate by session instead (`ConsoleGuard`).
struct BearerSecretMiddleware<Context: RequestContext>: RouterMiddleware {
    let secret: ClusterSecret
    var exempt: String? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let exempt, request.uri.path == exempt || request.uri.path.hasPrefix(exempt + "/") { return try await next(request, context) }
        guard secret.authorizes(request.headers[.authorization]) else {
            return try APIResponse.error(.unauthorized, "missing or wrong cluster secret (Authorization: Bearer ...)")
                .response(from: request, context: context)
        }
        return try await next(request, context)
    }
}
