import Foundation
import GRDB

/// The embedded store's SQLite schema, created by GRDB migrations (no hand-written file format).
enum EmbeddedStoreSchema {
    static let metaRevision = "revision"
    static let metaCompactRevision = "compactRevision"
    static let metaNextLease = "nextLease"

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                INSERT INTO meta VALUES ('\(metaRevision)', 1), ('\(metaCompactRevision)', 0), ('\(metaNextLease)', 1);
                CREATE TABLE kv (
                    key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL,
                    createRevision INTEGER NOT NULL, modRevision INTEGER NOT NULL,
                    version INTEGER NOT NULL, lease INTEGER);
                CREATE INDEX kv_lease ON kv(lease) WHERE lease IS NOT NULL;
                CREATE TABLE history (
                    revision INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
                    isDelete INTEGER NOT NULL, value BLOB, createRevision INTEGER NOT NULL,
                    version INTEGER NOT NULL, lease INTEGER,
                    PRIMARY KEY (revision, seq));
                CREATE TABLE lease (id INTEGER PRIMARY KEY NOT NULL, ttl INTEGER NOT NULL, expiresAt REAL NOT NULL);
                CREATE INDEX lease_expiry ON lease(expiresAt);
                """)
        }
        return m
    }

    static func meta(_ db: Database, _ name: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [name]) ?? 0
    }

    static func setMeta(_ db: Database, _ name: String, _ value: Int64) throws {
        try db.execute(sql: "UPDATE meta SET value = ? WHERE name = ?", arguments: [value, name])
    }

    static func keyValue(_ row: Row) -> KeyValue {
        let lease: Int64? = row["lease"]
        let data: Data = row["value"]
        return KeyValue(key: row["key"], value: [UInt8](data), createRevision: row["createRevision"],
                        modRevision: row["modRevision"], version: row["version"], lease: lease.map(LeaseID.init))
    }

    static func fetch(_ db: Database, key: String) throws -> KeyValue? {
        try Row.fetchOne(db, sql: "SELECT * FROM kv WHERE key = ?", arguments: [key]).map(keyValue)
    }

    static func fetch(_ db: Database, prefix: String) throws -> [KeyValue] {
        try Row.fetchAll(db, sql: "SELECT * FROM kv WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
                         arguments: [prefix]).map(keyValue)
    }
}

