import AsyncHTTPClient
import NIOSSL
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// JSON calls to etcd's v3 gateway with member failover, per-call deadlines and optional TLS.
final class EtcdGateway: Sendable {
    /// Unary calls (reads, writes, lease renewals): short requests on a pool of their own.
    let client: HTTPClient
    /// Watch streams, each holding one connection for as long as it runs. A separate pool, so that an
    /// agent's watches (a leader has eight or more) can never take every connection to a member and
    /// leave its lease renewals and transactions queued until their deadline.
    let watchClient: HTTPClient
    let config: EtcdConfiguration
    /// Index of the member that answered last; calls start there.
    private let preferred = LockedBox(0)

    init(_ config: EtcdConfiguration) throws {
        guard !config.endpoints.isEmpty else { throw StoreError.rejected("no etcd endpoints configured") }
        var conf = HTTPClient.Configuration()
        // A dead member must fail fast so that the next one can be tried (see etcd-notes).
        conf.connectionPool.retryConnectionEstablishment = false
        conf.timeout.connect = .milliseconds(Int64(Self.millis(config.requestTimeout)))
        if let tls = config.tls {
            // NIOSSL's TLSConfiguration, reached through async-http-client's configuration.
            conf.tlsConfiguration = .makeClientConfiguration()
            if let ca = tls.caFile { conf.tlsConfiguration?.trustRoots = .file(ca) }
            if let cert = tls.certificateFile {
                do { conf.tlsConfiguration?.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) } } catch {
                    throw StoreError.rejected("cannot load the etcd client certificate chain \(cert): \(error)")
                }
            }
            if let key = tls.keyFile {
                do { conf.tlsConfiguration?.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) } catch {
                    throw StoreError.rejected("cannot load the etcd client key \(key): \(error)")
                }
            }
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: conf)
        var watches = conf
        watches.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.watchConnectionsPerMember
        watchClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: watches)
        self.config = config
    }

    /// Concurrent watch streams per member before another one waits for a connection (far above the
    /// dozen an agent opens; async-http-client's default of 8 is not).
    static let watchConnectionsPerMember = 256

    static func millis(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    func shutdown() async throws {
        try await watchClient.shutdown()
        try await client.shutdown()
    }

    /// The members in the order to try: the last one that answered first.
    var endpointOrder: [String] {
        let start = preferred.value
        let eps = config.endpoints
        return (0..<eps.count).map { eps[(start + $0) % eps.count] }
    }

    func markGood(_ endpoint: String) {
        if let i = config.endpoints.firstIndex(of: endpoint) { preferred.value = i }
    }

    func request(_ endpoint: String, _ path: String, _ body: [String: Any]) throws -> HTTPClientRequest {
        request(endpoint, path, json: try JSONSerialization.data(withJSONObject: body))
    }

    func request(_ endpoint: String, _ path: String, json: Data) -> HTTPClientRequest {
        var req = HTTPClientRequest(url: endpoint + path)
        req.method = .POST
        req.headers.add(name: "Content-Type", value: "application/json")
        // Makes a member without quorum answer "no leader" at once instead of hanging.
        req.headers.add(name: "Grpc-Metadata-hasleader", value: "true")
        req.body = .bytes(ByteBuffer(data: json))
        return req
    }

    /// Calls `path` on one member after another until one answers, for at most `requestTimeout`
    /// in all and `attemptTimeout` per member. Errors that prove the request was not applied
    /// (refused connection, no leader) move on to the next member, round after round (an etcd
    /// leader election takes ~2 s). A member that does not answer in time (a proposal stuck
    /// behind a dead leader) moves on only for `idempotent` calls; for others the outcome is
    /// unknown and the call throws `.timeout` at once, so the caller re-reads before retrying.
    /// When an attempt timed out the final error is `.timeout` too: the write may still be
    /// applied once quorum returns. Otherwise it is `.unavailable`, naming each member's error.
    func call(_ path: String, _ body: [String: Any], idempotent: Bool) async throws -> [String: Any] {
        let clock = ContinuousClock()
        let end = clock.now + config.requestTimeout
        var failures: [String: String] = [:]
        var outcomeUnknown = false
        while true {
            for endpoint in endpointOrder {
                let remaining = end - clock.now
                guard remaining > .zero else { break }
                do {
                    let json = try await callOnce(endpoint, path, body, timeout: min(remaining, config.attemptTimeout))
                    markGood(endpoint)
                    return json
                } catch let e as GatewayFailure {
                    failures[endpoint] = e.message
                    config.logger.debug("etcd call failed", metadata: [
                        "etcd.endpoint": "\(endpoint)", "etcd.path": "\(path)", "error": "\(e.message)"])
                    switch e.kind {
                    case .retryable: continue
                    case .timeout where idempotent:
                        // Asked again later: a member stuck behind a dead leader recovers after the
                        // election. An idempotent write may so land more than once (same value,
                        // later revisions) — harmless by definition.
                        outcomeUnknown = true
                        continue
                    case .timeout:
                        throw StoreError.timeout("\(path) on \(endpoint): \(e.message); outcome unknown, re-read before retrying")
                    case .final(let err): throw err
                    }
                }
            }
            try Task.checkCancellation()
            guard end - clock.now > .milliseconds(100) else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let detail = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        if outcomeUnknown {
            throw StoreError.timeout("no etcd member confirmed \(path) within \(config.requestTimeout); outcome unknown, "
                                     + "it may still be applied when quorum returns (\(detail))")
        }
        throw StoreError.unavailable("no etcd member answered \(path) within \(config.requestTimeout) (\(detail))")
    }

    /// Calls an idempotent `path` on the members in a staggered race: the preferred member first,
    /// then, while no answer has come, the next one every `hedgeDelay` (and at once after a failure
    /// that proves the request was not applied), at most one attempt per member in flight. The first
    /// answer wins and the other attempts are cancelled. A deadline-critical call (a lease renewal)
    /// so waits for the fastest member instead of for one hung or starved member's attempt timeout.
    /// Bounded by `requestTimeout` in all; errors as `call`'s.
    func hedgedCall(_ path: String, _ body: [String: Any], hedgeDelay: Duration) async throws -> [String: Any] {
        let clock = ContinuousClock()
        let end = clock.now + config.requestTimeout
        let order = endpointOrder
        let json = try JSONSerialization.data(withJSONObject: body)
        return try await withThrowingTaskGroup(of: HedgeOutcome.self) { group in
            var launched = 0
            var inFlight: Set<String> = []
            var failures: [String: String] = [:]
            var outcomeUnknown = false
            /// Starts an attempt on the next member without one in flight, if time is left.
            func launch() {
                let remaining = end - clock.now
                guard remaining > .zero, let endpoint = (0..<order.count).lazy
                        .map({ order[(launched + $0) % order.count] }).first(where: { !inFlight.contains($0) }) else { return }
                launched += 1
                inFlight.insert(endpoint)
                let timeout = min(remaining, config.attemptTimeout)
                group.addTask {
                    do { return .answered(endpoint, JSONAnswer(try await self.callOnce(endpoint, path, json: json, timeout: timeout))) } catch let e as GatewayFailure {
                        return .failed(endpoint, e)
                    }
                }
            }
            func armHedge() {
                guard end - clock.now > hedgeDelay else { return }
                group.addTask { try await Task.sleep(for: hedgeDelay); return .hedge }
            }
            launch()
            armHedge()
            while let outcome = try await group.next() {
                switch outcome {
                case .answered(let endpoint, let answer):
                    markGood(endpoint)
                    group.cancelAll()
                    return answer.json
                case .failed(let endpoint, let failure):
                    inFlight.remove(endpoint)
                    failures[endpoint] = failure.message
                    switch failure.kind {
                    case .final(let error):
                        group.cancelAll()
                        throw error
                    case .timeout: outcomeUnknown = true
                    case .retryable: break
                    }
                    // The first round moves on at once; later ones at the hedge's pace.
                    if launched < order.count { launch() }
                case .hedge:
                    launch()
                    armHedge()
                }
                if inFlight.isEmpty, end - clock.now <= hedgeDelay { break }
            }
            group.cancelAll()
            let detail = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            if outcomeUnknown {
                throw StoreError.timeout("no etcd member confirmed \(path) within \(config.requestTimeout); outcome unknown (\(detail))")
            }
            throw StoreError.unavailable("no etcd member answered \(path) within \(config.requestTimeout) (\(detail))")
        }
    }

    /// What one task of a hedged call ended with.
    private enum HedgeOutcome: Sendable {
        case answered(String, JSONAnswer)
        case failed(String, GatewayFailure)
        case hedge
    }

    /// Checks that `endpoint` answers a linearizable read (so it is up and has a leader) within
    /// `attemptTimeout`. Throws `StoreError.unavailable` naming the problem otherwise.
    func probe(_ endpoint: String, key: String) async throws {
        do {
            _ = try await callOnce(endpoint, "/v3/kv/range", ["key": EtcdJSON.b64(key), "limit": "1", "keys_only": true],
                                   timeout: config.attemptTimeout)
        } catch let e as GatewayFailure {
            throw StoreError.unavailable("\(endpoint) failed its liveness probe: \(e.message)")
        }
    }

    /// A decoded answer handed from an attempt's task to the call: JSONSerialization's immutable
    /// result, read by one task after the other, never shared.
    struct JSONAnswer: @unchecked Sendable {
        let json: [String: Any]
        init(_ json: [String: Any]) { self.json = json }
    }

    struct GatewayFailure: Error {
        enum Kind { case retryable, timeout, final(StoreError) }
        var kind: Kind
        var message: String
    }

    private func callOnce(_ endpoint: String, _ path: String, _ body: [String: Any],
                          timeout: Duration) async throws -> [String: Any] {
        try await callOnce(endpoint, path, json: try JSONSerialization.data(withJSONObject: body), timeout: timeout)
    }

    private func callOnce(_ endpoint: String, _ path: String, json body: Data,
                          timeout: Duration) async throws -> [String: Any] {
        let req = request(endpoint, path, json: body)
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            let deadline = NIODeadline.now() + .milliseconds(Int64(max(Self.millis(timeout), 1)))
            response = try await client.execute(req, deadline: deadline)
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout
                    || e == .connectTimeout {
            throw GatewayFailure(kind: e == .connectTimeout ? .retryable : .timeout, message: "\(e)")
        } catch {
            // Connection refused/reset and similar: the member is down or unreachable.
            throw GatewayFailure(kind: .retryable, message: "\(error)")
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any]
        guard response.status == .ok, let json else {
            let message = (json?["message"] as? String) ?? (json?["error"] as? String)
                ?? String(buffer: bytes)
            throw Self.failure(status: response.status.code, message: message)
        }
        return json
    }

    /// Maps an etcd error answer to a failure kind.
    static func failure(status: UInt, message: String) -> GatewayFailure {
        let kind: GatewayFailure.Kind
        if message.contains("no leader") || message.contains("leader changed") || message.contains("not capable")
            || message.contains("stopped") {
            kind = .retryable
        } else if message.contains("request timed out") || message.contains("deadline exceeded") {
            kind = .timeout
        } else if message.contains("requested lease not found") {
            kind = .final(.leaseNotFound(LeaseID(0)))
        } else if message.contains("compacted") {
            kind = .final(.compacted(compactRevision: 0))
        } else if message.contains("future revision") {
            kind = .final(.rejected(message))
        } else if status == 503 {
            kind = .retryable
        } else {
            kind = .final(.rejected("HTTP \(status): \(message)"))
        }
        return GatewayFailure(kind: kind, message: "HTTP \(status): \(message)")
    }
}
