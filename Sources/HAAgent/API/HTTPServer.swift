import AgentAPI
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP request as the agent's handlers see it.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// One HTTP response: status, content type and body.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]

    public init(status: HTTPResponseStatus = .ok, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A JSON body from an Encodable value.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        let body = (try? APICoding.encode(value)).map(Array.init) ?? Array("{}".utf8)
        return HTTPResponse(status: status, body: body + [10])
    }

    /// A JSON error body `{"error": message}` that names the problem.
    public static func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPResponse {
        json(["error": message], status: status)
    }
}

/// A small HTTP/1.1 server on NIO's async channels, on a unix socket or a TCP address; each request
/// is handled by an async closure. Requests over `maxBody` bytes are refused.
public struct HTTPServer: Sendable {
    public enum Address: Sendable {
        case unixSocket(path: String, mode: mode_t)
        case tcp(host: String, port: Int)
    }

    let address: Address
    let logger: Logger
    let maxBody = 1 << 20
    let handler: @Sendable (HTTPRequest) async -> HTTPResponse

    public init(address: Address, logger: Logger, handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.address = address
        self.logger = logger
        self.handler = handler
    }

    /// Serves until cancelled.
    public func run() async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let childInit: @Sendable (Channel) -> EventLoopFuture<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
            }
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        switch address {
        case .unixSocket(let path, let mode):
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            unlink(path)
            server = try await bootstrap.bind(unixDomainSocketPath: path, childChannelInitializer: childInit)
            chmod(path, mode)
        case .tcp(let host, let port):
            server = try await bootstrap.bind(host: host, port: port, childChannelInitializer: childInit)
        }
        try await withTaskCancellationHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        head = h
                        body = []
                    case .body(var chunk):
                        body += chunk.readBytes(length: chunk.readableBytes) ?? []
                        if body.count > maxBody { head = nil }
                    case .end:
                        let response: HTTPResponse
                        if let h = head {
                            response = await handler(HTTPRequest(method: h.method, path: h.uri, headers: h.headers, body: body))
                        } else {
                            response = .error(.payloadTooLarge, "request body over \(maxBody) bytes")
                        }
                        var responseHead = HTTPResponseHead(version: .http1_1, status: response.status)
                        responseHead.headers.add(name: "Content-Type", value: response.contentType)
                        responseHead.headers.add(name: "Content-Length", value: "\(response.body.count)")
                        try await outbound.write(.head(responseHead))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                        try await outbound.write(.end(nil))
                    }
                }
            }
        } catch {
            logger.debug("connection ended with error", metadata: ["error": "\(error)"])
        }
    }
}
