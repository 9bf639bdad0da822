import AgentAPI
import Hummingbird
import NIOCore

/// One answer of the agent's API: a status and a body, JSON unless said otherwise.
struct APIResponse: ResponseGenerator, Sendable {
    var status: HTTPResponse.Status
    var contentType: String
    var body: [UInt8]

    init(status: HTTPResponse.Status = .ok, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A JSON body from an Encodable value, in the API's one coding.
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> APIResponse {
        let body = (try? APICoding.encode(value)).map(Array.init) ?? Array("{}".utf8)
        return APIResponse(status: status, body: body + [10])
    }

    /// A JSON error body `{"error": message}` that names the problem.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> APIResponse {
        json(APIError(message), status: status)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
