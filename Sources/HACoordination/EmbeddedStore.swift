import Blocking
import Foundation
import GRDB

/// The coordination store for a single host: SQLite (through GRDB) in WAL mode with full sync,
/// zero configuration. Every acknowledged write is durable; a killed process leaves no half-written
/// state (each call is one SQLite transaction). Leases expire by an injected clock.
///
/// SQLite's calls block (a write with full sync waits for the disk): the actor runs on a thread of
/// its own (`BlockingExecutor`), never on the cooperative pool, and each call stays one turn.
public actor EmbeddedStore: CoordinationStore {
    private let executor = BlockingExecutor(name: "vigil-store")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let db: DatabasePool
    private let clock: StoreClock
    private var watchers: [UUID: Watcher] = [:]
    private let sweeper = LockedBox<Task<Void, Never>?>(nil)

    private struct Watcher {
        let prefix: String
        let continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation
    }

    /// Watch history kept behind the current revision; older history is compacted automatically
    /// (a heartbeat a second would otherwise grow the file forever). Watches from before it resync.
    public let historyRetention: Int64

    /// Opens (creating if needed) the store at `path`. With `sweepInterval` set, a background task
    /// ends expired leases that often; every call also ends expired leases first.
    public init(path: String, clock: @escaping StoreClock = systemStoreClock,
                sweepInterval: Duration? = .milliseconds(250), historyRetention: Int64 = 10_000) throws {
        precondition(historyRetention > 0, "historyRetention must be positive")
        self.historyRetention = historyRetention
        self.path = path
        db = try Self.openPool(path: path)
        self.clock = clock
        if let interval = sweepInterval {
            sweeper.value = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    try? await self.expireLeases()
                }
            }
        }
    }

    deinit { sweeper.value?.cancel() }

    /// The database file.
    public nonisolated let path: String

    /// Opens the database with full sync and the schema; a failure names the file and the problem.
    private static func openPool(path: String) throws -> DatabasePool {
        try mappingFailures(path: path) {
            var config = Configuration()
            // Another connection's write (a second process on the file, a checkpoint) makes a call wait
            // for the lock, never fail at once: a lease renewal refused with "database is locked" would
            // move this host toward a self-fence for nothing. (Writes are IMMEDIATE transactions, GRDB's
            // default, so no read-then-write upgrade can fail with SQLITE_BUSY_SNAPSHOT past this wait.)
            config.busyMode = .timeout(lockWaitSeconds)
            let db = try DatabasePool(path: path, configuration: config)
            // Full sync on the one connection that writes: a commit then survives a power loss, not only
            // a crash. Only after the pool is open: GRDB sets NORMAL when it turns WAL mode on, after
            // any `prepareDatabase` hook has run.
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try EmbeddedStoreSchema.migrator.migrate(db)
            return db
        }
    }

    /// Runs `body`, turning SQLite's errors into a `StoreError` that names the file and the problem
    /// (a full disk, a read-only or missing directory, ...).
    private static func mappingFailures<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            let directoryErrno = EmbeddedStoreFailure.concernsDirectory(error)
                ? writeAccessErrno(EmbeddedStoreFailure.directory(of: path)) : nil
            throw EmbeddedStoreFailure.storeError(error, path: path, directoryErrno: directoryErrno)
        }
    }

    /// What `access(2)` says of writing in `directory`: nil when it may be written.
    private static func writeAccessErrno(_ directory: String) -> Int32? {
        access(directory, W_OK) == 0 ? nil : errno
    }

    /// How long a call waits for another connection's lock on the database before it fails (a lease
    /// renewal waits longer: as long as its lease lives).
    public static let lockWaitSeconds: TimeInterval = 2

    /// Where a single host keeps its cluster state when nothing is configured.
    public static let defaultPath = "/var/lib/vigil/state.sqlite"

    /// Zero configuration: opens (creating if needed) the store at `path` and its directory. A
    /// directory that cannot be created gives an error naming it and why.
    public static func open(path: String = defaultPath) throws -> EmbeddedStore {
        let directory = EmbeddedStoreFailure.directory(of: path)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            var ancestor = directory
            while !FileManager.default.fileExists(atPath: ancestor), ancestor != "/", ancestor != "." {
                ancestor = EmbeddedStoreFailure.directory(of: ancestor)
            }
            throw EmbeddedStoreFailure.directoryNotCreated(path: path, ancestor: ancestor,
                                                           ancestorErrno: writeAccessErrno(ancestor), underlying: error)
        }
        return try EmbeddedStore(path: path)
    }

    /// SQLite's own integrity check of the database file: empty when sound, else its complaints.
    public func integrityCheck() throws -> [String] {
        try readSync { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }.filter { $0 != "ok" }
    }

    /// Stops the sweeper and ends every watch.
    public func close() {
        sweeper.value?.cancel()
        for w in watchers.values { w.continuation.finish(throwing: StoreError.closed) }
        watchers = [:]
    }

    // Synchronous GRDB access, on the actor's own thread (the async overloads would hop threads and break the turn).
    private func readSync<T>(_ body: (Database) throws -> T) throws -> T {
        try Self.mappingFailures(path: path) { try db.read(body) }
    }

    /// Runs `body` in one IMMEDIATE transaction, waiting up to `lockWait` seconds for another
    /// connection's write lock.
    private func writeSync<T>(lockWait: TimeInterval = lockWaitSeconds, _ body: (Database) throws -> T) throws -> T {
        try Self.mappingFailures(path: path) { try writeTransaction(lockWait: lockWait, body) }
    }

    private func writeTransaction<T>(lockWait: TimeInterval, _ body: (Database) throws -> T) throws -> T {
        try db.writeWithoutTransaction { db in
            let custom = lockWait != Self.lockWaitSeconds
            if custom { try Self.setLockWait(db, lockWait) }
            defer { if custom { try? Self.setLockWait(db, Self.lockWaitSeconds) } }
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    private static func setLockWait(_ db: Database, _ seconds: TimeInterval) throws {
        try db.execute(sql: "PRAGMA busy_timeout = \(Int((seconds * 1000).rounded(.up)))")
    }

    /// SQLite's `synchronous` setting of the connection that writes (2: FULL).
    func writerSynchronous() throws -> Int {
        try db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: reads

    public func get(_ key: String) async throws -> KeyValue? {
        try expireDue()
        return try readSync { try EmbeddedStoreSchema.fetch($0, key: key) }
    }

    public func list(prefix: String) async throws -> (kvs: [KeyValue], revision: Revision) {
        try expireDue()
        return try readSync { db in
            (try EmbeddedStoreSchema.fetch(db, prefix: prefix),
             try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaRevision))
        }
    }

    // MARK: writes

    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: LeaseID?) async throws -> Revision {
        try await transaction(Transaction(compare: [], success: [.put(key, value, lease: lease)])).revision
    }

    @discardableResult
    public func delete(_ key: String) async throws -> Bool {
        try expireDue()
        return try commit(Transaction(compare: [], success: [.delete(key)])).deleted > 0
    }

    public func transaction(_ txn: Transaction) async throws -> TransactionResult {
        try expireDue()
        return try commit(txn).result
    }

    /// Applies a transaction in one SQLite transaction, then tells the watchers.
    private func commit(_ txn: Transaction) throws -> (result: TransactionResult, deleted: Int) {
        let now = clock()
        let (outcome, events) = try writeSync { db -> ((TransactionResult, Int), [WatchEvent]) in
            let succeeded = try txn.compare.allSatisfy { try Self.holds($0, db) }
            let ops = succeeded ? txn.success : txn.failure
            var batch = WriteBatch(db: db)
            var reads: [KeyValue?] = []
            for op in ops {
                switch op {
                case .get(let key):
                    reads.append(try EmbeddedStoreSchema.fetch(db, key: key))
                case .put(let key, let value, let lease):
                    if let lease {
                        let alive = try Bool.fetchOne(db, sql: "SELECT expiresAt > ? FROM lease WHERE id = ?",
                                                      arguments: [now, lease.rawValue]) ?? false
                        guard alive else { throw StoreError.leaseNotFound(lease) }
                    }
                    try batch.put(key, value, lease: lease)
                case .delete(let key):
                    try batch.delete(key)
                }
            }
            let revision = try batch.finish()
            return ((TransactionResult(succeeded: succeeded, revision: revision, reads: reads), batch.deleted),
                    batch.events)
        }
        publish(events)
        compactIfDue(outcome.0.revision)
        return outcome
    }

    private static func holds(_ c: Comparison, _ db: Database) throws -> Bool {
        let kv = try EmbeddedStoreSchema.fetch(db, key: c.key)
        switch c {
        case .modRevision(_, let r): return (kv?.modRevision ?? 0) == r
        case .createRevision(_, let r): return (kv?.createRevision ?? 0) == r
        case .value(_, let v): return kv?.value == v
        }
    }

    // MARK: leases

    public func grantLease(ttlSeconds: Int64) async throws -> Lease {
        try expireDue()
        let ttl = max(ttlSeconds, 1)
        let now = clock()
        let id = try writeSync { db -> Int64 in
            let id = try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaNextLease)
            try EmbeddedStoreSchema.setMeta(db, EmbeddedStoreSchema.metaNextLease, id + 1)
            try db.execute(sql: "INSERT INTO lease (id, ttl, expiresAt) VALUES (?, ?, ?)",
                           arguments: [id, ttl, now + Double(ttl)])
            return id
        }
        return Lease(id: LeaseID(id), ttlSeconds: ttl)
    }

    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Int64 {
        let now = clock()
        // A renewal waits for another connection's lock as long as its lease lives (at least as long
        // as any call): it fails on contention only when the lease would be lost anyway.
        let expiresAt = try readSync { db in
            try Double.fetchOne(db, sql: "SELECT expiresAt FROM lease WHERE id = ?", arguments: [lease.rawValue])
        }
        let lockWait = max(Self.lockWaitSeconds, (expiresAt ?? now) - now)
        try expireDue(lockWait: lockWait)
        let ttl = try writeSync(lockWait: lockWait) { db -> Int64? in
            guard let ttl = try Int64.fetchOne(db, sql: "SELECT ttl FROM lease WHERE id = ?",
                                               arguments: [lease.rawValue]) else { return nil }
            try db.execute(sql: "UPDATE lease SET expiresAt = ? WHERE id = ?",
                           arguments: [now + Double(ttl), lease.rawValue])
            return ttl
        }
        guard let ttl else { throw StoreError.leaseNotFound(lease) }
        return ttl
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        try expireDue()
        guard try end(leases: [lease.rawValue]) else { throw StoreError.leaseNotFound(lease) }
    }

    /// Ends every lease whose deadline has passed by the store's clock, deleting its keys.
    public func expireLeases() async throws { try expireDue() }

    private func expireDue(lockWait: TimeInterval = lockWaitSeconds) throws {
        let now = clock()
        let due = try readSync { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM lease WHERE expiresAt <= ? ORDER BY id", arguments: [now])
        }
        if !due.isEmpty { _ = try end(leases: due, lockWait: lockWait) }
    }

    /// Deletes the leases and their keys, one revision per lease (as etcd does). Returns whether any existed.
    private func end(leases: [Int64], lockWait: TimeInterval = lockWaitSeconds) throws -> Bool {
        var any = false
        for id in leases {
            let events = try writeSync(lockWait: lockWait) { db -> [WatchEvent]? in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM lease WHERE id = ?", arguments: [id]) != nil
                else { return nil }
                try db.execute(sql: "DELETE FROM lease WHERE id = ?", arguments: [id])
                var batch = WriteBatch(db: db)
                for key in try String.fetchAll(db, sql: "SELECT key FROM kv WHERE lease = ? ORDER BY key",
                                               arguments: [id]) {
                    try batch.delete(key)
                }
                _ = try batch.finish()
                return batch.events
            }
            if let events {
                any = true
                publish(events)
                if let r = events.last?.revision { compactIfDue(r) }
            }
        }
        return any
    }

    // MARK: watches and compaction

    public nonisolated func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, Error>.makeStream()
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatcher(id) }
        }
        Task { await self.addWatcher(id, prefix: prefix, from: fromRevision, continuation) }
        return stream
    }

    private func removeWatcher(_ id: UUID) { watchers[id] = nil }

    /// Replays history from `from` (or a resync snapshot if compacted) and registers for live
    /// events, in one actor turn so that no commit falls between the two.
    private func addWatcher(_ id: UUID, prefix: String, from: Revision,
                            _ continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation) {
        do {
            let backlog = try readSync { db -> [WatchEvent] in
                // As in etcd, a start revision of 0 (or less) means "from now on".
                let from = from > 0 ? from : try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaRevision) + 1
                let compacted = try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaCompactRevision)
                if from < compacted {
                    let rev = try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaRevision)
                    return [.resync(try EmbeddedStoreSchema.fetch(db, prefix: prefix), revision: rev)]
                }
                let rows = try Row.fetchAll(db, sql: """
                    SELECT *, revision AS modRevision FROM history WHERE revision >= ?1 AND substr(key, 1, length(?2)) = ?2
                    ORDER BY revision, seq
                    """, arguments: [from, prefix])
                return rows.map { row in
                    if row["isDelete"] as Bool { return .delete(key: row["key"], revision: row["revision"]) }
                    return .put(EmbeddedStoreSchema.keyValue(row))
                }
            }
            for e in backlog { continuation.yield(e) }
            watchers[id] = Watcher(prefix: prefix, continuation: continuation)
        } catch {
            continuation.finish(throwing: error)
        }
    }

    private func publish(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        for w in watchers.values {
            for e in events where Self.key(of: e).hasPrefix(w.prefix) { w.continuation.yield(e) }
        }
    }

    private static func key(of e: WatchEvent) -> String {
        switch e {
        case .put(let kv): return kv.key
        case .delete(let k, _): return k
        case .resync: return ""
        }
    }

    /// Every `historyRetention / 10` revisions, drops the history older than `historyRetention`.
    /// Runs after a commit, so it never fails the call: what it cannot do now it does next time
    /// (and a revision already compacted by hand is simply skipped).
    private func compactIfDue(_ revision: Revision) {
        let step = max(historyRetention / 10, 1)
        guard revision % step == 0, revision - historyRetention > 0 else { return }
        try? compactSync(revision - historyRetention)
    }

    public func compact(revision: Revision) async throws { try compactSync(revision) }

    private func compactSync(_ revision: Revision) throws {
        try writeSync { db in
            let current = try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaRevision)
            let old = try EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaCompactRevision)
            guard revision <= current else {
                throw StoreError.rejected("compaction revision \(revision) is in the future (current \(current))")
            }
            guard revision > old else {
                throw StoreError.rejected("revision \(revision) is already compacted (compact revision \(old))")
            }
            try db.execute(sql: "DELETE FROM history WHERE revision < ?", arguments: [revision])
            try EmbeddedStoreSchema.setMeta(db, EmbeddedStoreSchema.metaCompactRevision, revision)
        }
    }
}

/// The writes of one revision: updates `kv`, appends `history`, collects the watch events.
private struct WriteBatch {
    let db: Database
    let revision: Revision
    var seq = 0
    var deleted = 0
    var events: [WatchEvent] = []

    init(db: Database) {
        self.db = db
        revision = ((try? EmbeddedStoreSchema.meta(db, EmbeddedStoreSchema.metaRevision)) ?? 0) + 1
    }

    mutating func put(_ key: String, _ value: [UInt8], lease: LeaseID?) throws {
        let old = try EmbeddedStoreSchema.fetch(db, key: key)
        let kv = KeyValue(key: key, value: value, createRevision: old?.createRevision ?? revision,
                          modRevision: revision, version: (old?.version ?? 0) + 1, lease: lease)
        try db.execute(sql: """
            INSERT OR REPLACE INTO kv (key, value, createRevision, modRevision, version, lease)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [key, Data(value), kv.createRevision, revision, kv.version, lease?.rawValue])
        try record(key: key, isDelete: false, kv: kv)
        events.append(.put(kv))
    }

    mutating func delete(_ key: String) throws {
        guard try EmbeddedStoreSchema.fetch(db, key: key) != nil else { return }
        try db.execute(sql: "DELETE FROM kv WHERE key = ?", arguments: [key])
        try record(key: key, isDelete: true, kv: nil)
        deleted += 1
        events.append(.delete(key: key, revision: revision))
    }

    private mutating func record(key: String, isDelete: Bool, kv: KeyValue?) throws {
        try db.execute(sql: """
            INSERT INTO history (revision, seq, key, isDelete, value, createRevision, version, lease)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [revision, seq, key, isDelete, kv.map { Data($0.value) },
                             kv?.createRevision ?? 0, kv?.version ?? 0, kv?.lease?.rawValue])
        seq += 1
    }

    /// Bumps the store revision if anything was written; returns the store revision after the batch.
    func finish() throws -> Revision {
        guard seq > 0 else { return revision - 1 }
        try EmbeddedStoreSchema.setMeta(db, EmbeddedStoreSchema.metaRevision, revision)
        return revision
    }
}
