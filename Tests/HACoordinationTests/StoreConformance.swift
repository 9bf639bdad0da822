import Foundation
import HACoordination
import HACore
import Testing

/// The conformance suite every `CoordinationStore` must pass; run against `EmbeddedStore` and
/// `EtcdStore` by `ConformanceTests`. `letTimePass` advances the lease clock: a manual clock for
/// the embedded store, real sleeping for etcd.
struct StoreConformance {
    let store: any CoordinationStore
    let letTimePass: @Sendable (Double) async throws -> Void
    /// How long after a lease's TTL its keys are certainly gone (etcd: ~0.35 s measured; generous).
    let expirySlack: Double

    func runAll() async throws {
        try await versionedGetPutDelete()
        try await listByPrefix()
        try await compareAndSwap()
        try await multiKeyTransactions()
        try await leases()
        try await leaseExpiry()
        try await watchReplaysAndFollows()
        try await watchAfterCompactionResyncs()
        try await watchFromNowSeesOnlyNewEvents()
        try await staleLeaderWriteIsRejected()
        try await manyWatchesLeaveCallsFree()
    }

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func versionedGetPutDelete() async throws {
        let r1 = try await store.put("kv/a", bytes("one"))
        let a1 = try #require(try await store.get("kv/a"))
        #expect(a1.stringValue == "one")
        #expect(a1.createRevision == r1 && a1.modRevision == r1 && a1.version == 1 && a1.lease == nil)
        let r2 = try await store.put("kv/a", bytes("two"))
        #expect(r2 > r1)
        let a2 = try #require(try await store.get("kv/a"))
        #expect(a2.stringValue == "two" && a2.createRevision == r1 && a2.modRevision == r2 && a2.version == 2)
        #expect(try await store.delete("kv/a") == true)
        #expect(try await store.get("kv/a") == nil)
        #expect(try await store.delete("kv/a") == false)
        let r3 = try await store.put("kv/a", bytes("three"))
        let a3 = try #require(try await store.get("kv/a"))
        #expect(a3.createRevision == r3 && a3.version == 1, "a re-created key starts a new life")
    }

    func listByPrefix() async throws {
        for k in ["ls/b", "ls/a", "ls/c/d", "lsx", "ls"] { try await store.put(k, bytes(k)) }
        let last = try await store.put("ls/e", bytes("e"))
        let (kvs, rev) = try await store.list(prefix: "ls/")
        #expect(kvs.map(\.key) == ["ls/a", "ls/b", "ls/c/d", "ls/e"])
        #expect(rev >= last)
        #expect(try await store.list(prefix: "none/").kvs.isEmpty)
    }

    func compareAndSwap() async throws {
        let created = try #require(try await store.compareAndSwap("cas/x", expectedModRevision: 0, value: bytes("1")))
        #expect(try await store.compareAndSwap("cas/x", expectedModRevision: 0, value: bytes("again")) == nil,
                "create-if-absent must fail when the key exists")
        let swapped = try #require(try await store.compareAndSwap("cas/x", expectedModRevision: created, value: bytes("2")))
        #expect(try await store.compareAndSwap("cas/x", expectedModRevision: created, value: bytes("stale")) == nil,
                "a swap with a stale revision must fail")
        #expect(try await store.get("cas/x")?.stringValue == "2")
        #expect(try await store.compareAndDelete("cas/x", expectedModRevision: created) == false)
        #expect(try await store.compareAndDelete("cas/x", expectedModRevision: swapped) == true)
        #expect(try await store.get("cas/x") == nil)
    }

    func multiKeyTransactions() async throws {
        let base = try await store.put("txn/guard", bytes("g"))
        let ok = try await store.transaction(Transaction(
            compare: [.modRevision("txn/guard", equals: base), .value("txn/guard", equals: bytes("g")),
                      .createRevision("txn/absent", equals: 0)],
            success: [.put("txn/a", bytes("A")), .put("txn/b", bytes("B")), .delete("txn/guard"), .get("txn/a")],
            failure: [.get("txn/guard")]))
        #expect(ok.succeeded)
        #expect(ok.reads.count == 1 && ok.reads[0]?.stringValue == "A")
        let a = try #require(try await store.get("txn/a"))
        let b = try #require(try await store.get("txn/b"))
        #expect(a.modRevision == ok.revision && b.modRevision == ok.revision, "one transaction, one revision")
        #expect(try await store.get("txn/guard") == nil)

        let failed = try await store.transaction(Transaction(
            compare: [.value("txn/a", equals: bytes("A")), .value("txn/b", equals: bytes("wrong"))],
            success: [.put("txn/a", bytes("changed"))],
            failure: [.get("txn/b"), .get("txn/nothing")]))
        #expect(!failed.succeeded)
        #expect(failed.reads.count == 2 && failed.reads[0]?.stringValue == "B" && failed.reads[1] == nil)
        #expect(try await store.get("txn/a")?.stringValue == "A", "nothing of a failed branch is applied")
    }

    func leases() async throws {
        let lease = try await store.grantLease(ttlSeconds: 30)
        #expect(lease.ttlSeconds >= 30)
        try await store.put("lease/a", bytes("a"), lease: lease.id)
        try await store.put("lease/b", bytes("b"), lease: lease.id)
        #expect(try await store.get("lease/a")?.lease == lease.id)
        #expect(try await store.keepAlive(lease.id) >= 30)
        try await store.revokeLease(lease.id)
        #expect(try await store.list(prefix: "lease/").kvs.isEmpty, "revoking a lease deletes its keys")
        await #expect(throws: StoreError.leaseNotFound(lease.id)) { try await store.keepAlive(lease.id) }
        await #expect(throws: StoreError.leaseNotFound(lease.id)) {
            try await store.put("lease/c", bytes("c"), lease: lease.id)
        }
    }

    func leaseExpiry() async throws {
        let start = try await store.list(prefix: "exp/").revision
        let events = WatchRecorder(store.watch(prefix: "exp/", fromRevision: start + 1))
        let kept = try await store.grantLease(ttlSeconds: 2)
        let dying = try await store.grantLease(ttlSeconds: 2)
        try await store.put("exp/kept", bytes("k"), lease: kept.id)
        try await store.put("exp/dying", bytes("d"), lease: dying.id)
        for _ in 0..<3 {
            try await letTimePass(1)
            try await store.keepAlive(kept.id)
        }
        try await letTimePass(expirySlack)
        try await store.keepAlive(kept.id)
        #expect(try await store.get("exp/dying") == nil, "a lease not kept alive expires with its keys")
        #expect(try await store.get("exp/kept") != nil, "a lease kept alive stays")
        await #expect(throws: StoreError.leaseNotFound(dying.id)) { try await store.keepAlive(dying.id) }
        let seen = try await events.waitFor(count: 3)
        #expect(seen.count == 3)
        if case .delete(let key, _) = seen.last { #expect(key == "exp/dying") } else {
            Issue.record("expected the expiry to reach watchers as a delete, got \(seen)")
        }
        events.cancel()
        try await store.revokeLease(kept.id)
    }

    /// An agent that leads holds a dozen watches open at once (its own, the node's, the leader's):
    /// reads, writes, transactions and lease renewals must still go through at once, and every watch
    /// see them. (With one connection pool for both, etcd's watches took all eight connections to a
    /// member and a new leader's transactions waited until their deadline, term after term.)
    func manyWatchesLeaveCallsFree() async throws {
        let start = try await store.list(prefix: "many/").revision
        let watches = (0..<16).map { _ in WatchRecorder(store.watch(prefix: "many/", fromRevision: start + 1)) }
        defer { for w in watches { w.cancel() } }
        try await letWatchesOpen()
        let lease = try await store.grantLease(ttlSeconds: 30)
        try await store.put("many/a", bytes("1"), lease: lease.id)
        _ = try await store.keepAlive(lease.id)
        let t = try await store.transaction(Transaction(compare: [], success: [.put("many/b", bytes("2"))]))
        #expect(t.succeeded)
        #expect(try await store.get("many/b")?.stringValue == "2")
        for (i, w) in watches.enumerated() {
            let seen = try await w.waitFor(count: 2)
            #expect(seen.count == 2, "watch \(i) of \(watches.count) saw \(seen)")
        }
        try await store.revokeLease(lease.id)
    }

    /// Gives watches time to reach their server (a stream opens asynchronously).
    private func letWatchesOpen() async throws { try await Task.sleep(for: .milliseconds(300)) }

    func watchReplaysAndFollows() async throws {
        let r1 = try await store.put("w/a", bytes("1"))
        try await store.put("other/x", bytes("not watched"))
        _ = try await store.delete("w/a")
        let events = WatchRecorder(store.watch(prefix: "w/", fromRevision: r1))
        let t = try await store.transaction(Transaction(compare: [], success: [.put("w/b", bytes("2")), .put("w/c", bytes("3"))]))
        let r4 = try await store.put("w/b", bytes("4"))
        let seen = try await events.waitFor(count: 5)
        events.cancel()
        guard seen.count == 5 else { Issue.record("watch saw \(seen)"); return }
        #expect(seen[0] == .put(KeyValue(key: "w/a", value: bytes("1"), createRevision: r1, modRevision: r1, version: 1)))
        if case .delete(let k, let rev) = seen[1] { #expect(k == "w/a" && rev > r1) } else { Issue.record("\(seen[1])") }
        #expect(seen[2].revision == t.revision && seen[3].revision == t.revision)
        if case .put(let kv) = seen[4] { #expect(kv.stringValue == "4" && kv.modRevision == r4 && kv.version == 2) }
        #expect(seen.map(\.revision) == seen.map(\.revision).sorted())
    }

    func watchAfterCompactionResyncs() async throws {
        let first = try await store.put("cw/a", bytes("1"))
        try await store.put("cw/a", bytes("2"))
        try await store.put("cw/b", bytes("3"))
        let head = try await store.put("cw/c", bytes("4"))
        _ = try await store.delete("cw/c")
        try await store.compact(revision: head)
        let events = WatchRecorder(store.watch(prefix: "cw/", fromRevision: first))
        let snapshot = try await events.waitFor(count: 1)
        guard case .resync(let kvs, let rev)? = snapshot.first else {
            Issue.record("a watch from a compacted revision must start with a resync, got \(snapshot)")
            events.cancel(); return
        }
        #expect(kvs.map(\.key) == ["cw/a", "cw/b"] && kvs[0].stringValue == "2")
        #expect(rev > head)
        let after = try await store.put("cw/d", bytes("5"))
        let more = try await events.waitFor(count: 2)
        #expect(more.last?.revision == after, "the watch continues after the resync")
        events.cancel()
    }

    func watchFromNowSeesOnlyNewEvents() async throws {
        try await store.put("now/old", bytes("before"))
        let events = WatchRecorder(store.watch(prefix: "now/", fromRevision: 0))
        try await Task.sleep(for: .milliseconds(200))  // let the watch start
        let r = try await store.put("now/new", bytes("after"))
        let seen = try await events.waitFor(count: 1)
        events.cancel()
        #expect(seen.map(\.revision) == [r])
    }

    func staleLeaderWriteIsRejected() async throws {
        let leaseA = try await store.grantLease(ttlSeconds: 30)
        let leaseB = try await store.grantLease(ttlSeconds: 30)
        let a = Election(store: store, candidate: "node-a", key: "el/leader")
        let b = Election(store: store, candidate: "node-b", key: "el/leader")
        // A leader's write as the leader shell makes it: fenced by its token, optionally a compare-and-swap.
        func write(_ value: String, token: FencingToken, expecting revision: Revision? = nil) async throws -> Bool {
            try await store.fencedTransaction(Transaction(compare: revision.map { [.modRevision("g/vm-1", equals: $0)] } ?? [],
                                                          success: [.put("g/vm-1", Array(value.utf8))]),
                                              token: token, leaderKey: "el/leader").succeeded
        }
        func remove(token: FencingToken) async throws -> Bool {
            try await store.fencedTransaction(Transaction(compare: [], success: [.get("g/vm-1"), .delete("g/vm-1")]),
                                              token: token, leaderKey: "el/leader").reads.first.map { $0 != nil } ?? false
        }
        let tokenA = try #require(try await a.tryAcquire(lease: leaseA.id))
        #expect(try await b.tryAcquire(lease: leaseB.id) == nil, "only one leader at a time")
        #expect(try await a.tryAcquire(lease: leaseA.id) == tokenA, "re-acquiring keeps the token")
        #expect(try await write("node-a", token: tokenA))

        // node-a is deposed (its lease ends) while it still believes it leads; node-b takes over.
        let campaign = Task { try await b.campaign(lease: leaseB.id) }
        try await store.revokeLease(leaseA.id)
        let tokenB = try await campaign.value
        #expect(tokenB > tokenA)
        #expect(try await b.leader()?.node == "node-b")
        await #expect(throws: StoreError.fencingTokenRejected(token: tokenA.revision, key: "el/leader")) {
            try await write("node-a again", token: tokenA)
        }
        let current = try #require(try await store.get("g/vm-1"))
        #expect(current.value == Array("node-a".utf8), "the deposed leader's write left nothing")
        #expect(try await write("node-b", token: tokenB, expecting: current.modRevision))
        #expect(try await write("node-b", token: tokenB, expecting: current.modRevision) == false,
                "a compare-and-swap on a stale revision fails without throwing")
        await #expect(throws: StoreError.fencingTokenRejected(token: tokenA.revision, key: "el/leader")) {
            try await remove(token: tokenA)
        }
        #expect(try await remove(token: tokenB) == true)
        #expect(try await remove(token: tokenB) == false)
        #expect(try await store.get("g/vm-1") == nil)
        try await b.resign()
        #expect(try await b.leader() == nil)
        try await store.revokeLease(leaseB.id)
    }
}

/// Collects a watch's events in the background so tests can wait for them with a deadline.
final class WatchRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [WatchEvent] = []
    private var failure: Error?
    private var task: Task<Void, Never>?

    init(_ stream: AsyncThrowingStream<WatchEvent, Error>) {
        task = Task { [weak self] in
            do {
                for try await e in stream { self?.lock.withLock { self?.events.append(e) } }
            } catch { self?.lock.withLock { self?.failure = error } }
        }
    }

    var all: [WatchEvent] { lock.withLock { events } }

    /// Waits until at least `count` events arrived (or `timeout` passed) and returns them all.
    func waitFor(count: Int, timeout: Duration = .seconds(20)) async throws -> [WatchEvent] {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            let (e, f) = lock.withLock { (events, failure) }
            if let f { throw f }
            if e.count >= count { return e }
            try await Task.sleep(for: .milliseconds(20))
        }
        return all
    }

    func cancel() { task?.cancel() }
}
