import Foundation
import GRDB

/// Why a call on the embedded store's database failed, in words an operator can act on: the
/// database file, the problem, then what SQLite said. Pure: the shell passes what `access(2)`
/// said of the file's directory.
enum EmbeddedStoreFailure {
    /// The store error for SQLite's `error` on the database at `path`. `directoryErrno`: the errno
    /// of a write-access check of the file's directory (nil when it is writable or was not checked).
    static func storeError(_ error: DatabaseError, path: String, directoryErrno: Int32?) -> StoreError {
        .unavailable("embedded store \(path): \(problem(error, path: path, directoryErrno: directoryErrno)) (\(error))")
    }

    /// The store error when the database's directory cannot be created: `ancestor` is the nearest
    /// directory that exists, `ancestorErrno` what a write-access check of it said.
    static func directoryNotCreated(path: String, ancestor: String, ancestorErrno: Int32?, underlying: Error) -> StoreError {
        let why = ancestorErrno.flatMap { accessProblem(ancestor, $0) }.map { ": \($0)" } ?? ""
        return .unavailable("embedded store \(path): its directory \(directory(of: path)) cannot be created\(why) "
                            + "(\((underlying as NSError).localizedDescription))")
    }

    /// Whether the directory's write access explains `error` (then the shell checks it).
    static func concernsDirectory(_ error: DatabaseError) -> Bool {
        [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_PERM].contains(error.resultCode)
    }

    static func directory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    private static func problem(_ error: DatabaseError, path: String, directoryErrno: Int32?) -> String {
        if let problem = directoryErrno.flatMap({ accessProblem(directory(of: path), $0) }) { return "its directory \(problem)" }
        switch error.resultCode {
        case .SQLITE_FULL:
            return "the disk is full (the write was not stored; what was stored before is kept)"
        case .SQLITE_READONLY, .SQLITE_PERM:
            return "the database file is read-only"
        case .SQLITE_CANTOPEN:
            return "the database file cannot be opened"
        case .SQLITE_BUSY where error.extendedResultCode == .SQLITE_BUSY_SNAPSHOT:
            return "another connection wrote between this transaction's read and its write"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return "another connection held its lock for longer than this call waits"
        case .SQLITE_IOERR:
            return "the disk or its filesystem failed (the last write may or may not be on disk)"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return "the file is damaged or not a Vigil store"
        default:
            return "SQLite refused the call"
        }
    }

    /// What a write-access check's errno says of `directory`, if it names a problem with it.
    private static func accessProblem(_ directory: String, _ errno: Int32) -> String? {
        switch errno {
        case EROFS: return "\(directory) is on a read-only filesystem"
        case EACCES, EPERM: return "\(directory) is not writable by this process"
        case ENOENT, ENOTDIR: return "\(directory) does not exist"
        default: return nil
        }
    }
}
