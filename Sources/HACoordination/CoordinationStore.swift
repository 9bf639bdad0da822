/// A revision of the whole store: every committed write gets the next one (etcd's main revision).
public typealias Revision = Int64

/// The identity of a lease granted by a store.
public struct LeaseID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// A granted lease: its identity and the TTL the store granted (it may round up a request).
public struct Lease: Hashable, Sendable {
    public var id: LeaseID
    public var ttlSeconds: Int64
    public init(id: LeaseID, ttlSeconds: Int64) { self.id = id; self.ttlSeconds = ttlSeconds }
}

/// One key with its value and its version history markers, as a store returns it.
public struct KeyValue: Hashable, Sendable {
    /// The key relative to the store's cluster prefix.
    public var key: String
    public var value: [UInt8]
    /// Revision of the write that created the key (since its last deletion).
    public var createRevision: Revision
    /// Revision of the last write to the key.
    public var modRevision: Revision
    /// Number of writes since the key was created (1 after creation).
    public var version: Int64
    /// The lease the key is attached to, if any: the key is deleted when the lease ends.
    public var lease: LeaseID?

    public init(key: String, value: [UInt8], createRevision: Revision, modRevision: Revision,
                version: Int64, lease: LeaseID? = nil) {
        self.key = key; self.value = value; self.createRevision = createRevision
        self.modRevision = modRevision; self.version = version; self.lease = lease
    }

    /// The value as UTF-8 text.
    public var stringValue: String { String(decoding: value, as: UTF8.self) }
}

/// A condition a transaction checks before it applies its writes. An absent key has
/// create revision, mod revision and version 0 (as in etcd).
public enum Comparison: Hashable, Sendable {
    /// The key's last write was at exactly this revision (0: the key is absent).
    case modRevision(String, equals: Revision)
    /// The key was created at exactly this revision (0: the key is absent).
    case createRevision(String, equals: Revision)
    /// The key exists and holds exactly this value.
    case value(String, equals: [UInt8])

    var key: String {
        switch self {
        case .modRevision(let k, _), .createRevision(let k, _), .value(let k, _): return k
        }
    }
}

/// One operation inside a transaction.
public enum TransactionOp: Hashable, Sendable {
    case put(String, [UInt8], lease: LeaseID? = nil)
    case delete(String)
    /// Reads a key; its result appears in `TransactionResult.reads` in op order.
    case get(String)
}

/// A multi-key transaction: if every comparison holds, `success` runs, otherwise `failure`,
/// atomically in one revision.
public struct Transaction: Hashable, Sendable {
    public var compare: [Comparison]
    public var success: [TransactionOp]
    public var failure: [TransactionOp]
    public init(compare: [Comparison], success: [TransactionOp], failure: [TransactionOp] = []) {
        self.compare = compare; self.success = success; self.failure = failure
    }
}

/// What a transaction did.
public struct TransactionResult: Hashable, Sendable {
    /// Whether every comparison held (the `success` branch ran).
    public var succeeded: Bool
    /// The store revision after the transaction.
    public var revision: Revision
    /// The results of the `.get` ops of the branch that ran, in op order (nil: key absent).
    public var reads: [KeyValue?]
    public init(succeeded: Bool, revision: Revision, reads: [KeyValue?]) {
        self.succeeded = succeeded; self.revision = revision; self.reads = reads
    }
}

/// One change seen by a watch.
public enum WatchEvent: Hashable, Sendable {
    /// A key was created or updated (the new key-value, with its mod revision).
    case put(KeyValue)
    /// A key was deleted (explicitly or by its lease ending) at `revision`.
    case delete(key: String, revision: Revision)
    /// The history the watch needed was compacted: here is the whole watched state at
    /// `revision`; replace what you knew with it. Events continue after `revision`.
    case resync([KeyValue], revision: Revision)

    /// The revision this event brings the watcher to.
    public var revision: Revision {
        switch self {
        case .put(let kv): return kv.modRevision
        case .delete(_, let r): return r
        case .resync(_, let r): return r
        }
    }
}

/// Why a store call failed. Every case names the problem in its description.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No endpoint answered, or the cluster has no quorum (no leader).
    case unavailable(String)
    /// The call did not finish within its timeout.
    case timeout(String)
    /// The lease does not exist (never granted, revoked or expired).
    case leaseNotFound(LeaseID)
    /// A watch asked for a revision that was compacted away (internal; watches resync).
    case compacted(compactRevision: Revision)
    /// A fenced write was refused: the fencing token is no longer the current leader's.
    case fencingTokenRejected(token: Revision, key: String)
    /// The store answered something this client does not understand.
    case protocolError(String)
    /// The store refused the request.
    case rejected(String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case .unavailable(let m): return "coordination store unavailable: \(m)"
        case .timeout(let m): return "coordination store call timed out: \(m)"
        case .leaseNotFound(let id): return "lease \(id) not found (expired or revoked)"
        case .compacted(let r): return "requested revision was compacted (compact revision \(r))"
        case .fencingTokenRejected(let t, let k):
            return "fenced write rejected: token \(t) is not the current holder of \(k) (deposed leader?)"
        case .protocolError(let m): return "unexpected answer from coordination store: \(m)"
        case .rejected(let m): return "coordination store rejected the request: \(m)"
        case .closed: return "coordination store is closed"
        }
    }
}

/// The cluster state store the coordinator needs: versioned keys under a cluster prefix,
/// compare-and-swap, multi-key transactions, leases and resumable watches. Keys are relative
/// to the store's prefix. Implemented by `EtcdStore` (a cluster) and `EmbeddedStore` (one host).
public protocol CoordinationStore: Sendable {
    /// The key's current value, or nil if absent.
    func get(_ key: String) async throws -> KeyValue?
    /// Every key starting with `prefix`, sorted by key, and the store revision they were read at.
    func list(prefix: String) async throws -> (kvs: [KeyValue], revision: Revision)
    /// Writes a value; returns the revision of the write.
    @discardableResult
    func put(_ key: String, _ value: [UInt8], lease: LeaseID?) async throws -> Revision
    /// Deletes a key; returns whether it existed.
    @discardableResult
    func delete(_ key: String) async throws -> Bool
    /// Runs a transaction atomically.
    func transaction(_ txn: Transaction) async throws -> TransactionResult

    /// Grants a lease that ends `ttlSeconds` after its last keepalive.
    func grantLease(ttlSeconds: Int64) async throws -> Lease
    /// Renews a lease to its full TTL; returns the TTL granted. Throws `leaseNotFound` if it ended.
    @discardableResult
    func keepAlive(_ lease: LeaseID) async throws -> Int64
    /// Ends a lease now, deleting its keys.
    func revokeLease(_ lease: LeaseID) async throws

    /// Changes to keys starting with `prefix` from revision `fromRevision` on (inclusive), in
    /// revision order, surviving reconnects without gaps (`fromRevision` 0: from now on). If that history was compacted, the
    /// stream starts with a `.resync` snapshot. The stream ends when the consumer stops.
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchEvent, Error>
    /// Discards history before `revision` (watches from older revisions get a resync).
    func compact(revision: Revision) async throws
}

extension CoordinationStore {
    /// Writes a value without a lease.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws -> Revision {
        try await put(key, value, lease: nil)
    }

    /// Writes `value` only if the key's mod revision is still `expected` (0: only if absent).
    /// Returns the new revision, or nil if someone else wrote first.
    public func compareAndSwap(_ key: String, expectedModRevision expected: Revision, value: [UInt8],
                               lease: LeaseID? = nil) async throws -> Revision? {
        let r = try await transaction(Transaction(compare: [.modRevision(key, equals: expected)],
                                                  success: [.put(key, value, lease: lease)]))
        return r.succeeded ? r.revision : nil
    }

    /// Deletes the key only if its mod revision is still `expected`. Returns whether it did.
    public func compareAndDelete(_ key: String, expectedModRevision expected: Revision) async throws -> Bool {
        try await transaction(Transaction(compare: [.modRevision(key, equals: expected)],
                                          success: [.delete(key)])).succeeded
    }
}
