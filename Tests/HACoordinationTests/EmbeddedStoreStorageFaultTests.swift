import Blocking
import Foundation
import GRDB
@testable import HACoordination
import Testing

/// The embedded store when its storage fails: a full disk and a read-only directory give a clear
/// error naming the database file and the problem, and nothing stored before is lost. The faults are
/// real (a small tmpfs, a read-only bind mount), made in a private mount namespace of a helper
/// process (`unshare -m`), so nothing outside the test sees them; that needs root.
@Suite(.serialized, .enabled(if: getuid() == 0, "a private mount namespace needs root"))
struct EmbeddedStoreStorageFaultTests {
    @Test func aFullDiskFailsWritesWithAClearErrorAndLosesNothing() async throws {
        let dir = try TempDir()
        let disk = dir.file("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let database = disk + "/state.sqlite"
        // 1 MiB, most of it taken by a file the test removes later to make room again.
        let helper = try StoreFaultHelper(database: database, directory: disk, setup: """
            mount -t tmpfs -o size=1m tmpfs "$1" && head -c 700000 /dev/zero > "$1/filler"
            """)
        defer { helper.stop() }
        #expect(try await helper.answer() == "ready")
        var stored = 0
        var failure: String?
        while failure == nil, stored < 1000 {
            let answer = try await helper.send("put k/\(stored) 4000")
            if answer.hasPrefix("ok ") { stored += 1 } else { failure = answer }
        }
        let error = try #require(failure, "the tmpfs must fill up")
        print("[embedded] disk full after \(stored) writes: \(error)")
        #expect(error.contains("embedded store \(database): the disk is full"), "the error must name the file and the problem: \(error)")
        #expect(stored > 0)
        #expect(try await helper.send("count k/") == "ok \(stored)", "every write acknowledged before the disk filled is kept")

        // Room again: the same store writes on, without a restart; reopened, all of it is there and sound.
        try helper.inNamespace(["rm", disk + "/filler"])
        #expect(try await helper.send("put k/after 4000").hasPrefix("ok "), "writes succeed once there is room")
        #expect(try await helper.send("reopen") == "ok")
        #expect(try await helper.send("count k/") == "ok \(stored + 1)")
        #expect(try await helper.send("check") == "ok")
    }

    @Test func aReadOnlyDirectoryIsRefusedWithAClearErrorAndLosesNothing() async throws {
        let dir = try TempDir()
        let data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let database = data + "/state.sqlite"
        var store: EmbeddedStore? = try EmbeddedStore(path: database, sweepInterval: nil)
        for i in 0..<10 { try await store!.put("k/\(i)", [UInt8(i)]) }
        await store!.close()
        store = nil

        func openingFails(_ database: String) async throws -> String {
            let helper = try StoreFaultHelper(database: database, directory: data, setup: #"mount --bind -o ro "$1" "$1""#)
            defer { helper.stop() }
            return try await helper.answer()
        }
        let error = try await openingFails(database)
        print("[embedded] read-only directory: \(error)")
        #expect(error.contains("embedded store \(database): its directory \(data) is on a read-only filesystem"),
                "the error must name the file and the problem: \(error)")
        // A store to be created in a new directory there: the directory cannot be created, and why.
        let nested = data + "/new/state.sqlite"
        let notCreated = try await openingFails(nested)
        print("[embedded] new directory on a read-only filesystem: \(notCreated)")
        #expect(notCreated.contains("embedded store \(nested): its directory \(data)/new cannot be created: \(data) is on a read-only filesystem"),
                "the error must name the directory and the problem: \(notCreated)")

        let reopened = try EmbeddedStore(path: database, sweepInterval: nil)
        #expect(try await reopened.list(prefix: "k/").kvs.map(\.value) == (0..<10).map { [UInt8($0)] }, "nothing stored is lost")
        #expect(try await reopened.integrityCheck().isEmpty)
        await reopened.close()
    }
}

/// What the message of each SQLite failure says (pure, no disk needed).
@Suite struct EmbeddedStoreFailureTests {
    private func message(_ code: ResultCode, errno: Int32? = nil) -> String {
        String(describing: EmbeddedStoreFailure.storeError(DatabaseError(resultCode: code), path: "/var/lib/vigil/state.sqlite",
                                                           directoryErrno: errno))
    }

    @Test func eachFailureNamesTheFileAndTheProblem() {
        let cases: [(ResultCode, Int32?, String)] = [
            (.SQLITE_FULL, nil, "the disk is full"),
            (.SQLITE_CANTOPEN, EROFS, "its directory /var/lib/vigil is on a read-only filesystem"),
            (.SQLITE_READONLY, EACCES, "its directory /var/lib/vigil is not writable by this process"),
            (.SQLITE_CANTOPEN, ENOENT, "its directory /var/lib/vigil does not exist"),
            (.SQLITE_READONLY, nil, "the database file is read-only"),
            (.SQLITE_BUSY, nil, "another connection held its lock"),
            (.SQLITE_BUSY_SNAPSHOT, nil, "another connection wrote between this transaction's read and its write"),
            (.SQLITE_IOERR, nil, "may or may not be on disk"),
            (.SQLITE_NOTADB, nil, "not a Vigil store"),
        ]
        for (code, errno, problem) in cases {
            let text = message(code, errno: errno)
            #expect(text.contains("embedded store /var/lib/vigil/state.sqlite: "), "\(text)")
            #expect(text.contains(problem), "\(code): \(text)")
            #expect(text.contains("SQLite error \(code.primaryResultCode.rawValue)"), "SQLite's own words are kept: \(text)")
        }
    }

    @Test func onlyFailuresAboutFilesAskAboutTheDirectory() {
        #expect(EmbeddedStoreFailure.concernsDirectory(DatabaseError(resultCode: .SQLITE_CANTOPEN)))
        #expect(!EmbeddedStoreFailure.concernsDirectory(DatabaseError(resultCode: .SQLITE_FULL)))
        #expect(!EmbeddedStoreFailure.concernsDirectory(DatabaseError(resultCode: .SQLITE_BUSY)))
    }
}

/// `vigil-store-fault-helper` in a private mount namespace that `setup` (a shell command; `$1` is
/// `directory`) prepares, driven a line at a time.
final class StoreFaultHelper: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var buffer = ""

    init(database: String, directory: String, setup: String) throws {
        let helper = try EmbeddedStoreTests.helperPath("vigil-store-fault-helper")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "sh", "-c", setup + #" && exec "$2" "$3""#, "sh",
                             directory, helper, database]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// The next line the helper writes (waited for on a thread of its own).
    func answer() async throws -> String {
        try await BlockingCall.run("store-fault-helper") { try self.readLine() }
    }

    /// Sends a command and returns its answer.
    func send(_ command: String) async throws -> String {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        return try await answer()
    }

    /// Runs a command in the helper's mount namespace (`nsenter`), waiting for it.
    func inNamespace(_ command: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        p.arguments = ["--target", String(process.processIdentifier), "--mount", "--"] + command
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw StoreError.rejected("\(command) in the helper's namespace failed") }
    }

    /// Ends the helper (its namespace and mounts go with it).
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    private func readLine() throws -> String {
        try lock.withLock {
            while !buffer.contains("\n") {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else {
                    throw StoreError.rejected("vigil-store-fault-helper ended without an answer (after \(buffer.debugDescription))")
                }
                buffer += String(decoding: chunk, as: UTF8.self)
            }
            let line = buffer.prefix { $0 != "\n" }
            buffer.removeFirst(line.count + 1)
            return String(line)
        }
    }
}
