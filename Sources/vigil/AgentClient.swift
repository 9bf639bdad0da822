import AgentAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Talks HTTP to the local agent over its unix socket, or to another host's agent over TLS with
/// the cluster secret (`vigil --host`).
struct AgentClient: Sendable {
    /// Where the agent is.
    enum Endpoint: Sendable {
        case socket(String)
        /// HOST:PORT of an agent's TCP API; the secret, if any, is sent as a bearer token; `caFile`,
        /// when given, is the only CA trusted for the agent's certificate (else the system's);
        /// `certificate` is a client certificate and key (PEM files) for an agent with a client CA.
        case remote(host: String, secret: String?, caFile: String?, certificate: (file: String, key: String)?)
    }

    let endpoint: Endpoint

    init(socket: String) { endpoint = .socket(socket) }
    init(_ endpoint: Endpoint) { self.endpoint = endpoint }

    /// Where the CLI says it looked, in errors.
    private var place: String {
        switch endpoint {
        case .socket(let path): "at \(path) (is vigild running on this host, and are you root?)"
        case .remote(let host, _, _, _): "at \(host) over TLS (is its api.tcp_listen served with api.tls, and is the CA right?)"
        }
    }

    /// Sends a request and returns the raw JSON body of a successful answer; an error answer throws
    /// the agent's message.
    func call(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Accepted>.none) async throws -> Data {
        var configuration = HTTPClient.Configuration()
        let url: String
        var authorization: String?
        switch endpoint {
        case .socket(let socket):
            guard let socketURL = URL(httpURLWithSocketPath: socket, uri: path)?.absoluteString else {
                throw CLIError("invalid socket path \(socket)", status: .usage)
            }
            url = socketURL
        case .remote(let host, let secret, let caFile, let certificate):
            url = "https://\(host)\(path)"
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            func read<T>(_ what: String, _ file: String, _ load: (String) throws -> T) throws -> T {
                do { return try load(file) } catch { throw CLIError("cannot read the \(what) \(file): \(error)", status: .usage) }
            }
            if let caFile { tls.trustRoots = .certificates(try read("CA file (--ca-file)", caFile) { try NIOSSLCertificate.fromPEMFile($0) }) }
            if let certificate {
                tls.certificateChain = try read("client certificate (--cert-file)", certificate.file) { try NIOSSLCertificate.fromPEMFile($0) }
                    .map { .certificate($0) }
                tls.privateKey = .privateKey(try read("client key (--key-file)", certificate.key) { try NIOSSLPrivateKey(file: $0, format: .pem) })
            }
            configuration.tlsConfiguration = tls
            authorization = secret.map { "Bearer \($0)" }
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: Array(try APICoding.encode(body))))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
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
            throw CLIError("cannot reach the Vigil agent \(place): \(error)", status: .unavailable)
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
