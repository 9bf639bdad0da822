import ClusterSchema
import HACore
import Logging

/// Proof of leadership: the revision at which the leader key was created. Each election yields
/// a larger one; ownership writes carry it and the store refuses them once another leader holds
/// the key, so a deposed leader's late write fails.
public struct FencingToken: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let revision: Revision
    public init(revision: Revision) { self.revision = revision }
    public static func < (a: FencingToken, b: FencingToken) -> Bool { a.revision < b.revision }
    public var description: String { "token@\(revision)" }
}

/// Election of the one coordinator: the leader key (`leader` by default) holds the leader's node ID
/// and is attached to its node lease, so it vanishes when the leader's lease ends.
public actor Election {
    private let store: any CoordinationStore
    public let candidate: NodeID
    public let key: String
    private let logger: Logger
    /// The token while this node believes it leads; nil otherwise.
    public private(set) var token: FencingToken?

    public init(store: any CoordinationStore, candidate: NodeID, key: String = ClusterKeys.leader,
                logger: Logger = Logger(label: "vigil.election")) {
        self.store = store; self.candidate = candidate; self.key = key; self.logger = logger
    }

    /// Becomes leader if nobody is (or if this node already is, with this lease). Returns the token, or nil.
    public func tryAcquire(lease: LeaseID) async throws -> FencingToken? {
        let me = Array(candidate.rawValue.utf8)
        let r = try await store.transaction(Transaction(
            compare: [.createRevision(key, equals: 0)],
            success: [.put(key, me, lease: lease), .get(key)],
            failure: [.get(key)]))
        guard let kv = r.reads.last ?? nil else { return nil }
        guard kv.value == me, kv.lease == lease else { return nil }
        let t = FencingToken(revision: kv.createRevision)
        if token != t {
            logger.notice("elected leader", metadata: ["node": "\(candidate)", "fencing.token": "\(t.revision)"])
        }
        token = t
        return t
    }

    /// Waits until this node is leader (watching the key for its deletion) and returns the token.
    public func campaign(lease: LeaseID) async throws -> FencingToken {
        while true {
            try Task.checkCancellation()
            if let t = try await tryAcquire(lease: lease) { return t }
            guard let current = try await store.get(key) else { continue }
            for try await event in store.watch(prefix: key, fromRevision: current.modRevision + 1) {
                if case .delete(let k, _) = event, k == key { break }
                if case .resync(let kvs, _) = event, !kvs.contains(where: { $0.key == key }) { break }
            }
        }
    }

    /// The current leader and its token, as the store has it.
    public func leader() async throws -> (node: NodeID, token: FencingToken)? {
        guard let kv = try await store.get(key) else { return nil }
        return (NodeID(kv.stringValue), FencingToken(revision: kv.createRevision))
    }

    /// Stops believing it leads, without IO (used on self-fence: the store may be unreachable).
    public func stepDown(reason: String) {
        if let token {
            logger.warning("stepping down as leader", metadata: [
                "node": "\(candidate)", "fencing.token": "\(token.revision)", "reason": "\(reason)"])
        }
        token = nil
    }

    /// Gives up leadership: deletes the leader key if it is still this node's.
    public func resign() async throws {
        guard let t = token else { return }
        token = nil
        _ = try await store.transaction(Transaction(compare: [.createRevision(key, equals: t.revision)],
                                                    success: [.delete(key)]))
    }
}

extension CoordinationStore {
    /// Runs `txn` only if `token` still names the current leader (the leader key `leaderKey` was
    /// created at the token's revision). Throws `fencingTokenRejected` otherwise; returns the
    /// result (possibly not succeeded, if the transaction's own comparisons failed).
    public func fencedTransaction(_ txn: Transaction, token: FencingToken,
                                  leaderKey: String = ClusterKeys.leader) async throws -> TransactionResult {
        var fenced = txn
        fenced.compare.append(.createRevision(leaderKey, equals: token.revision))
        fenced.failure.append(.get(leaderKey))
        var r = try await transaction(fenced)
        if r.succeeded { return r }
        let leader = r.reads.removeLast()
        guard leader?.createRevision == token.revision else {
            throw StoreError.fencingTokenRejected(token: token.revision, key: leaderKey)
        }
        return r
    }
}
