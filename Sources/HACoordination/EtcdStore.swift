import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// The coordination store on an etcd 3.4 cluster, through its v3 JSON gateway (async-http-client):
/// member failover, a deadline on every call, optional client-certificate TLS. Call `close()`.
public final class EtcdStore: CoordinationStore {
    let gateway: EtcdGateway
    public let configuration: EtcdConfiguration
    private var prefix: String { configuration.prefix }

    public init(_ configuration: EtcdConfiguration) throws {
        self.configuration = configuration
        gateway = try EtcdGateway(configuration)
    }

    /// Shuts the HTTP client down; required before the store is released.
    public func close() async throws { try await gateway.shutdown() }

    public func get(_ key: String) async throws -> KeyValue? {
        let json = try await gateway.call("/v3/kv/range", ["key": EtcdJSON.b64(prefix + key)], idempotent: true)
        return EtcdJSON.keyValue((json["kvs"] as? [Any])?.first, prefix: prefix)
    }

    public func list(prefix sub: String) async throws -> (kvs: [KeyValue], revision: Revision) {
        let json = try await gateway.call("/v3/kv/range", [
            "key": EtcdJSON.b64(prefix + sub), "range_end": EtcdJSON.prefixEnd(prefix + sub),
        ], idempotent: true)
        let kvs = ((json["kvs"] as? [Any]) ?? []).compactMap { EtcdJSON.keyValue($0, prefix: prefix) }
        return (kvs, EtcdJSON.revision(json))
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: LeaseID?) async throws -> Revision {
        let json = try await leaseChecked(lease) {
            try await gateway.call("/v3/kv/put", EtcdJSON.put(prefix + key, value, lease), idempotent: true)
        }
        return EtcdJSON.revision(json)
    }

    @discardableResult
    public func delete(_ key: String) async throws -> Bool {
        // Retried after a timeout, a delete that was applied answers "not deleted": harmless.
        let json = try await gateway.call("/v3/kv/deleterange", ["key": EtcdJSON.b64(prefix + key)],
                                          idempotent: true)
        return EtcdJSON.int(json["deleted"]) > 0
    }

    public func transaction(_ txn: Transaction) async throws -> TransactionResult {
        let body: [String: Any] = [
            "compare": txn.compare.map { EtcdJSON.compare($0, prefix: prefix) },
            "success": txn.success.map { EtcdJSON.op($0, prefix: prefix) },
            "failure": txn.failure.map { EtcdJSON.op($0, prefix: prefix) },
        ]
        let leases = (txn.success + txn.failure).compactMap { op -> LeaseID? in
            if case .put(_, _, let l) = op { return l }
            return nil
        }
        let json = try await leaseChecked(leases.first) {
            try await gateway.call("/v3/kv/txn", body, idempotent: false)
        }
        let reads = ((json["responses"] as? [Any]) ?? []).compactMap { any -> KeyValue?? in
            guard let range = (any as? [String: Any])?["response_range"] as? [String: Any] else { return nil }
            return .some(EtcdJSON.keyValue((range["kvs"] as? [Any])?.first, prefix: prefix))
        }
        return TransactionResult(succeeded: (json["succeeded"] as? Bool) ?? false,
                                 revision: EtcdJSON.revision(json), reads: reads)
    }

    /// Runs a write, naming the lease when etcd says it does not exist.
    private func leaseChecked(_ lease: LeaseID?, _ body: () async throws -> [String: Any]) async throws -> [String: Any] {
        do { return try await body() } catch StoreError.leaseNotFound {
            throw StoreError.leaseNotFound(lease ?? LeaseID(0))
        }
    }

    public func grantLease(ttlSeconds: Int64) async throws -> Lease {
        // Capital "TTL": etcd ignores "ttl" silently (see etcd-notes).
        // Retried after a timeout, a grant may leave an unused lease behind; it expires on its own.
        let json = try await gateway.call("/v3/lease/grant", ["TTL": String(ttlSeconds)], idempotent: true)
        let id = EtcdJSON.int(json["ID"])
        guard id != 0 else { throw StoreError.protocolError("lease grant answered without an ID: \(json)") }
        return Lease(id: LeaseID(id), ttlSeconds: EtcdJSON.int(json["TTL"]))
    }

    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Int64 {
        // Raced across members: one hung or starved member must not hold a renewal (and so this
        // node's self-fence deadline) for its whole attempt timeout.
        let json = try await gateway.hedgedCall("/v3/lease/keepalive", ["ID": String(lease.rawValue)],
                                                hedgeDelay: configuration.renewalHedgeDelay)
        let ttl = EtcdJSON.int((json["result"] as? [String: Any])?["TTL"])
        // An expired lease answers 200 without a TTL.
        guard ttl > 0 else { throw StoreError.leaseNotFound(lease) }
        return ttl
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        _ = try await leaseChecked(lease) {
            try await gateway.call("/v3/lease/revoke", ["ID": String(lease.rawValue)], idempotent: true)
        }
    }

    public func compact(revision: Revision) async throws {
        do {
            _ = try await gateway.call("/v3/kv/compaction", ["revision": String(revision), "physical": true],
                                       idempotent: true)
        } catch StoreError.compacted {
            throw StoreError.rejected("revision \(revision) is already compacted")
        }
    }

    public func watch(prefix sub: String, fromRevision: Revision) -> AsyncThrowingStream<WatchEvent, Error> {
        EtcdWatch(store: self, prefix: sub).stream(from: fromRevision)
    }
}
