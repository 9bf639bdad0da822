import AgentAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks HTTP to the local agent over its unix socket.
struct AgentClient: Sendable {
    let socket: String

    /// Sends a request and returns the raw JSON body of a successful answer; an error answer throws
    /// the agent's message.
    func call(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Accepted>.none) async throws -> Data {
        guard let url = URL(httpURLWithSocketPath: socket, uri: path)?.absoluteString else {
            throw CLIError("invalid socket path \(socket)", status: .usage)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(bytes: Array(try APICoding.encode(body))))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        var configuration = HTTPClient.Configuration()
        // A missing agent must be reported at once, not retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<(HTTPClientResponse, Data), any Error>
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            result = .success((response, Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        let (response, data): (HTTPClientResponse, Data)
        do { (response, data) = try result.get() } catch {
            throw CLIError("cannot reach the Vigil agent at \(socket) (is vigild running on this host, and are you root?): \(error)",
                           status: .unavailable)
        }
        guard (200..<300).contains(response.status.code) else {
            let message = (try? APICoding.decode(APIError.self, data))?.error ?? String(decoding: data, as: UTF8.self)
            // 503: the agent runs but its store does not answer (no quorum, etcd down).
            throw CLIError(message, status: response.status == .serviceUnavailable ? .unavailable : .failed)
        }
        return data
    }

    func decode<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Accepted>.none) async throws -> T {
        try APICoding.decode(type, try await call(method, path, body: body))
    }
}

/// Prints a value as the chosen output format.
func emit<T: Encodable>(_ value: T, _ format: OutputFormat, text: (T) -> String) throws {
    switch format {
    case .json:
        print(String(decoding: try APICoding.encode(value), as: UTF8.self))
    case .text:
        print(text(value))
    }
}
