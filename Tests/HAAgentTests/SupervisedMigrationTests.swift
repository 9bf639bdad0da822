import ClusterSchema
import Foundation
import HACoordination
import HACore
import Libvirt
import Logging
import Synchronization
import XCTest
@testable import HAAgent

/// The shell of the live-migration ladder against a host whose migration never converges (or does
/// once auto-converge throttles the guest): what it asks the hypervisor, and what it publishes.
final class SupervisedMigrationTests: XCTestCase {
    private var directory = ""
    private var store: EmbeddedStore!

    override func setUp() async throws {
        directory = NSTemporaryDirectory() + "vigil-supervised-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try EmbeddedStore(path: directory + "/state.sqlite", sweepInterval: nil)
    }

    override func tearDown() async throws {
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func migrate(_ host: StuckMigrationHost, _ limits: MigrationLimits) async throws -> (Result<Void, any Error>, MoveRecord) {
        let journal = MoveJournal(store: store, node: "h1", record: MoveRecord(id: "m1", group: "g", from: "h1", to: "h2", method: .live,
                                                                               phase: .migrating, at: .wallClockNow),
                                  logger: Logger(label: "test"), progressInterval: .zero)
        let migration = SupervisedMigration(hypervisor: host, domain: "vm1", destinationURI: "qemu+tcp://h2/system", options: LiveMigrationOptions(),
                                            limits: limits, memoryMiB: 128, sampleInterval: .milliseconds(50), journal: journal)
        let result: Result<Void, any Error>
        do { try await migration.run(); result = .success(()) } catch { result = .failure(error) }
        let stored = try await store.get(ClusterKeys.move("g"))
        let kv = try XCTUnwrap(stored)
        return (result, try ClusterKeys.moves.decode(kv.value, key: kv.key))
    }

    private func decisions() async throws -> [DecisionRecord] {
        try await store.read(ClusterKeys.decisions).readableValues()
    }

    func testACopyThatNeverConvergesClimbsToAutoConvergeThenIsAbortedWithItsReasons() async throws {
        let host = StuckMigrationHost(convergesWithAutoConverge: false)
        let (result, record) = try await migrate(host, MigrationLimits(noProgress: .milliseconds(300), abortRetry: .seconds(2)))
        guard case .failure(let error) = result else { return XCTFail("a stuck migration must fail, not hang or succeed") }
        XCTAssertTrue(error is MigrationAborted, "\(error)")
        XCTAssertEqual(host.passes.map(\.autoConverge), [false, true], "a second pass with auto-converge, then no third")
        XCTAssertEqual(host.passes.map(\.postCopy), [false, false], "post-copy is off unless the group allows it")
        XCTAssertEqual(host.aborts, 2, "one abort per pass")
        XCTAssertEqual(record.steps.map(\.what), ["autoConverge", "abort"])
        XCTAssertEqual(record.vms["vm1"]?.rung, .abort)
        XCTAssertEqual(record.vms["vm1"]?.progress?.dataRemaining, StuckMigrationHost.remaining, "progress is published")
        let recorded = try await decisions()
        XCTAssertEqual(recorded.map(\.kind), ["migration", "migration"])
        XCTAssertTrue(recorded.allSatisfy { $0.reason.contains("no progress in 300ms") && $0.group == "g" }, "\(recorded.map(\.reason))")
        XCTAssertTrue(recorded[1].reason.contains("falls back to quick migration"), recorded[1].reason)
    }

    func testAutoConvergeThatCatchesUpCompletesTheMove() async throws {
        let host = StuckMigrationHost(convergesWithAutoConverge: true)
        let (result, record) = try await migrate(host, MigrationLimits(noProgress: .milliseconds(300)))
        XCTAssertNoThrow(try result.get())
        XCTAssertEqual(host.passes.map(\.autoConverge), [false, true])
        XCTAssertEqual(host.aborts, 1)
        XCTAssertEqual(record.steps.map(\.what), ["autoConverge"])
        XCTAssertEqual(record.vms["vm1"]?.rung, .autoConverge)
    }

    func testWherePostCopyIsAllowedTheStuckPassSwitchesToIt() async throws {
        let host = StuckMigrationHost(convergesWithAutoConverge: false)
        let (result, record) = try await migrate(host, MigrationLimits(noProgress: .milliseconds(300), autoConverge: false, postCopy: true))
        XCTAssertNoThrow(try result.get())
        XCTAssertEqual(host.passes.map(\.postCopy), [true], "started able to switch")
        XCTAssertEqual(host.postCopies, 1)
        XCTAssertEqual(host.aborts, 0)
        XCTAssertEqual(record.steps.map(\.what), ["postCopy"])
    }
}

/// A host whose migration job sends nothing more after 10 MiB: it runs until aborted (then fails
/// as libvirt does), or ends once switched to post-copy, or with auto-converge on if told so.
final class StuckMigrationHost: Hypervisor, @unchecked Sendable {
    static let remaining: UInt64 = 118 << 20
    private struct State {
        var passes: [LiveMigrationOptions] = []
        var aborts = 0
        var postCopies = 0
        var ended = false
    }
    private let state = Mutex(State())
    private let convergesWithAutoConverge: Bool

    init(convergesWithAutoConverge: Bool) { self.convergesWithAutoConverge = convergesWithAutoConverge }

    var passes: [LiveMigrationOptions] { state.withLock { $0.passes } }
    var aborts: Int { state.withLock { $0.aborts } }
    var postCopies: Int { state.withLock { $0.postCopies } }

    func liveMigrate(_ name: String, to destinationURI: String, options: LiveMigrationOptions) throws {
        let aborts = state.withLock { s in s.passes.append(options); s.ended = false; return s.aborts }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if options.autoConverge && convergesWithAutoConverge { usleep(100_000); return }
            let (aborted, switched) = state.withLock { ($0.aborts > aborts, $0.postCopies > 0) }
            if switched { usleep(50_000); return }
            if aborted { throw StuckMigrationError.cancelled }
            usleep(10_000)
        }
        throw StuckMigrationError.neverAborted
    }

    func migrationProgress(of name: String) throws -> MigrationProgress? {
        MigrationProgress(elapsedMilliseconds: 0, dataTotal: 128 << 20, dataProcessed: 10 << 20, dataRemaining: Self.remaining,
                          dirtyRateBytesPerSecond: 40 << 20, iteration: 7)
    }

    func abortMigration(_ name: String) throws { state.withLock { $0.aborts += 1 } }
    func startPostCopy(_ name: String) throws { state.withLock { $0.postCopies += 1 } }

    func capabilities() throws -> String { throw StuckMigrationError.unsupported }
    func domains() throws -> [HostedDomain] { [] }
    func state(of name: String) throws -> DomainState? { .running }
    func define(xml: String) throws -> String { throw StuckMigrationError.unsupported }
    func start(_ name: String) throws { throw StuckMigrationError.unsupported }
    func stop(_ name: String, deadline: Duration) throws -> ShutdownOutcome { throw StuckMigrationError.unsupported }
    func destroy(_ name: String) throws { throw StuckMigrationError.unsupported }
    func resume(_ name: String) throws { throw StuckMigrationError.unsupported }
    func undefine(_ name: String) throws { throw StuckMigrationError.unsupported }
    func persistentXML(of name: String) throws -> String { throw StuckMigrationError.unsupported }
    func save(_ name: String, to path: String) throws { throw StuckMigrationError.unsupported }
    func restore(from path: String, xml: String) throws { throw StuckMigrationError.unsupported }
    func hasGuestAgentChannel(_ name: String) throws -> Bool { false }
    func pingGuestAgent(_ name: String, timeoutSeconds: Int32) throws { throw StuckMigrationError.unsupported }
    func events() throws -> AsyncStream<DomainEvent> { AsyncStream { _ in } }
}

enum StuckMigrationError: Error { case cancelled, neverAborted, unsupported }
