import Foundation
import HACore

/// Who owns a group of HA resources, as written by the leader with its fencing token.
public struct OwnershipRecord: Codable, Hashable, Sendable {
    public var owner: NodeID
    /// The token of the leader that wrote this record.
    public var fencingToken: Revision
    public init(owner: NodeID, fencingToken: Revision) { self.owner = owner; self.fencingToken = fencingToken }
}

/// Ownership of groups in the store (`owners/<group>`). Every write is fenced by the leader's token.
public struct Ownership: Sendable {
    public let store: any CoordinationStore
    public let leaderKey: String
    public static let prefix = "owners/"
    /// The store key of a group's ownership record.
    public static func key(_ group: GroupID) -> String { prefix + group.rawValue }

    public init(store: any CoordinationStore, leaderKey: String = "leader") {
        self.store = store; self.leaderKey = leaderKey
    }

    /// The owner of `group`, and the record's mod revision (for a later compare-and-swap).
    public func owner(of group: GroupID) async throws -> (record: OwnershipRecord, modRevision: Revision)? {
        guard let kv = try await store.get(Self.key(group)) else { return nil }
        return (try JSONDecoder().decode(OwnershipRecord.self, from: .init(kv.value)), kv.modRevision)
    }

    /// Sets the owner of `group` if `token` is still the leader's and the record is still at
    /// `expectedModRevision` (0: absent; nil: any). Returns the new revision, or nil if the record
    /// changed meanwhile. Throws `fencingTokenRejected` for a deposed leader.
    public func assign(_ group: GroupID, to node: NodeID, token: FencingToken,
                       expectedModRevision: Revision? = nil) async throws -> Revision? {
        let key = Self.key(group)
        let value = try JSONEncoder().encode(OwnershipRecord(owner: node, fencingToken: token.revision))
        let r = try await store.fencedTransaction(Transaction(
            compare: expectedModRevision.map { [.modRevision(key, equals: $0)] } ?? [],
            success: [.put(key, [UInt8](value))]), token: token, leaderKey: leaderKey)
        return r.succeeded ? r.revision : nil
    }

    /// Removes the ownership record of `group` (fenced like `assign`). Returns whether it existed.
    @discardableResult
    public func remove(_ group: GroupID, token: FencingToken) async throws -> Bool {
        let key = Self.key(group)
        let r = try await store.fencedTransaction(Transaction(
            compare: [], success: [.get(key), .delete(key)]), token: token, leaderKey: leaderKey)
        return r.reads.first.map { $0 != nil } ?? false
    }
}
