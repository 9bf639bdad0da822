import EtcdTestSupport
import Foundation
import HACoordination
import Testing

/// The same conformance suite against both stores.
@Suite struct ConformanceTests {
    @Test func embeddedStorePassesConformance() async throws {
        let dir = try TempDir()
        let clock = ManualClock()
        let store = try EmbeddedStore(path: dir.file("store.sqlite"), clock: clock.storeClock, sweepInterval: nil)
        let suite = StoreConformance(store: store, letTimePass: { seconds in
            clock.advance(by: seconds)
            try await store.expireLeases()
        }, expirySlack: 0.1)
        try await suite.runAll()
        await store.close()
    }

    @Test func etcdStorePassesConformance() async throws {
        let cluster = try await EtcdCluster(size: 3)
        defer { cluster.stop() }
        let store = try cluster.store()
        let suite = StoreConformance(store: store, letTimePass: { seconds in
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }, expirySlack: 1.5)
        do {
            try await suite.runAll()
            try await idleWatchReconnectsWithoutLoss(cluster)
        } catch { try await store.close(); throw error }
        try await store.close()
    }

    /// Sixteen watches and the calls on one member alone (no other member to spread them to).
    @Test func etcdWatchesOnOneMemberLeaveItsCallsFree() async throws {
        let cluster = try await EtcdCluster(size: 1)
        defer { cluster.stop() }
        let store = try cluster.store(endpoints: [cluster.endpoints[0]])
        let suite = StoreConformance(store: store, letTimePass: { _ in }, expirySlack: 0)
        do { try await suite.manyWatchesLeaveCallsFree() } catch { try await store.close(); throw error }
        try await store.close()
    }
}

/// A watch quiet for longer than its idle timeout is reopened from its last revision: the events
/// after the quiet spell arrive exactly once.
private func idleWatchReconnectsWithoutLoss(_ cluster: EtcdCluster) async throws {
    let prefix = "/vigil-test/\(UUID().uuidString)/"
    let store = try EtcdStore(EtcdConfiguration(endpoints: cluster.endpoints, prefix: prefix,
                                                watchIdleTimeout: .seconds(1)))
    let r = try await store.put("idle/a", [1])
    let watch = WatchRecorder(store.watch(prefix: "idle/", fromRevision: r))
    #expect(try await watch.waitFor(count: 1).count == 1)
    try await Task.sleep(for: .milliseconds(2500))  // two idle timeouts: the stream is reopened
    let r2 = try await store.put("idle/b", [2])
    let seen = try await watch.waitFor(count: 2)
    try await Task.sleep(for: .milliseconds(300))
    #expect(watch.all.map(\.revision) == [r, r2], "after idle reconnects: \(watch.all)")
    _ = seen
    watch.cancel()
    try await store.close()
}

/// A temporary directory removed when released.
final class TempDir: @unchecked Sendable {
    let url: URL
    init() throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vigil-coord-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}
