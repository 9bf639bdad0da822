import ClusterSchema
import HACore

/// One record read from a `RecordFamily`.
public struct StoredRecord<Record: Codable & Sendable>: Sendable {
    /// Its name: the key less the family's prefix.
    public var name: String
    public var key: String
    public var value: Record
    public var modRevision: Revision
}

/// Every record of a family at one revision, and the values that could not be read.
public struct RecordListing<Record: Codable & Sendable>: Sendable {
    public var records: [StoredRecord<Record>]
    public var unreadable: [StoredValueError]
    public var revision: Revision

    /// The records' values, in key order.
    public var values: [Record] { records.map(\.value) }

    /// The values, failing on the first unreadable one.
    public func readableValues() throws(StoredValueError) -> [Record] {
        if let first = unreadable.first { throw first }
        return values
    }
}

/// A change to a family's records, as a watch reports it.
public enum RecordChange<Record: Codable & Sendable>: Sendable {
    case put(StoredRecord<Record>)
    /// A value was written that cannot be read (skip it, and say so).
    case unreadable(StoredValueError)
    case deleted(name: String)
    /// The watch had to start over (compaction): replace everything with this listing.
    case resynced(RecordListing<Record>)
}

extension RecordListing where Record == GroupSpec {
    /// The groups by id (the first of two specs naming one group wins).
    public var specs: [GroupID: GroupSpec] {
        Dictionary(values.map { ($0.definition.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

extension CoordinationStore {
    /// Every record of `family`, in one read.
    public func read<R>(_ family: RecordFamily<R>) async throws -> RecordListing<R> {
        let (kvs, revision) = try await list(prefix: family.prefix)
        return Self.listing(family, kvs, revision: revision)
    }

    /// The changes to `family` after `revision` (the store's watch resumes after reconnects and
    /// resyncs after compaction).
    public func changes<R>(_ family: RecordFamily<R>, after revision: Revision) -> AsyncThrowingStream<RecordChange<R>, Error> {
        let events = watch(prefix: family.prefix, fromRevision: revision + 1)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in events {
                        switch event {
                        case .put(let kv): continuation.yield(Self.change(family, kv))
                        case .delete(let key, _): continuation.yield(.deleted(name: family.name(of: key)))
                        case .resync(let kvs, let at): continuation.yield(.resynced(Self.listing(family, kvs, revision: at)))
                        }
                    }
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Reads `family`, hands it over as `.resynced`, then hands over every change as it comes; `body`
    /// runs on the caller's actor.
    public func follow<R>(_ family: RecordFamily<R>, isolation: isolated (any Actor)? = #isolation,
                          _ body: (RecordChange<R>) async -> Void) async throws {
        let listing = try await read(family)
        await body(.resynced(listing))
        for try await change in changes(family, after: listing.revision) { await body(change) }
    }

    private static func listing<R>(_ family: RecordFamily<R>, _ kvs: [KeyValue], revision: Revision) -> RecordListing<R> {
        var listing = RecordListing<R>(records: [], unreadable: [], revision: revision)
        for kv in kvs {
            switch change(family, kv) {
            case .put(let record): listing.records.append(record)
            case .unreadable(let error): listing.unreadable.append(error)
            default: break
            }
        }
        return listing
    }

    private static func change<R>(_ family: RecordFamily<R>, _ kv: KeyValue) -> RecordChange<R> {
        do {
            return .put(StoredRecord(name: family.name(of: kv.key), key: kv.key, value: try family.decode(kv.value, key: kv.key),
                                     modRevision: kv.modRevision))
        } catch { return .unreadable(error) }
    }
}

extension CoordinationStore {
    /// Every node record currently held by a live lease.
    public func nodes() async throws -> [NodeRecord] {
        try await read(ClusterKeys.nodes).readableValues()
    }
}
