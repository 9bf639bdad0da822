import Foundation
@testable import HACoordination
import HACore
import Testing

/// The membership shell on the embedded store (real clock, short TTLs).
@Suite struct MembershipTests {
    @Test func recordCarriesCapacityVersionStateAndHeartbeat() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("m.sqlite"), sweepInterval: .milliseconds(50))
        let membership = Membership(store: store, record: node("host-1"),
                                    configuration: MembershipConfiguration(ttlSeconds: 2, keepAliveInterval: .milliseconds(200),
                                                                           fenceMargin: .milliseconds(500)),
                                    selfFence: RecordingFence())
        try await membership.start()
        let first = try #require(try await store.nodes().first)
        #expect(first.id == "host-1" && first.state == .up && first.capacity == NodeCapacity(memoryMiB: 8192, vcpus: 8)
                && first.version == "test")
        try await membership.update(state: .draining)
        #expect(try await store.nodes().first?.state == .draining)
        #expect(try await eventually(timeout: .seconds(5)) {
            try await store.nodes().first.map { $0.lastHeartbeat > first.lastHeartbeat } ?? false
        }, "renewals refresh the heartbeat")
        let later = try #require(try await store.nodes().first)
        #expect(later.state == .draining)
        #expect(try await store.get(NodeRecord.key("host-1"))?.lease == (await membership.lease))
        await membership.stop()
        #expect(try await store.nodes().isEmpty, "leaving revokes the lease and so the record")
        await store.close()
    }

    @Test func aLeaseTakenAwayFencesAtOnceThenRejoins() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("m.sqlite"), sweepInterval: .milliseconds(50))
        let fence = RecordingFence()
        let log = LogCapture()
        let membership = Membership(store: store, record: node("host-1"),
                                    // A long TTL: the renewal deadline (15 s) cannot fire within this test,
                                    // so only the store's "lease not found" can fence the node.
                                    configuration: MembershipConfiguration(ttlSeconds: 30, keepAliveInterval: .milliseconds(200)),
                                    selfFence: fence, logger: log.logger)
        let election = Election(store: store, candidate: "host-1")
        await membership.onFence { reason in await election.stepDown(reason: reason) }
        try await membership.start()
        let lease = try #require(await membership.lease)
        #expect(try await election.tryAcquire(lease: lease) != nil)

        try await store.revokeLease(lease)  // e.g. an operator evicted the node
        #expect(await eventually(timeout: .seconds(10)) { await !membership.fences.isEmpty })
        let fences = await membership.fences
        #expect(fence.calls.first?.reason.contains("expired or was revoked") == true, "\(fences)")
        #expect(fences.first.map { $0.firedAt < $0.deadline } == true,
                "fenced on the revocation, well before its renewal deadline: \(fences)")
        #expect(await election.token == nil)
        #expect(log.entries.contains { $0.level == .critical && $0.message.contains("self-fencing") },
                "the node says in its log that it fences itself")
        #expect(await eventually(timeout: .seconds(10)) {
            let l = await membership.lease
            return l != nil && l != lease
        }, "a fenced node rejoins with a new lease when the store is reachable")
        #expect(try await store.nodes().map(\.id) == ["host-1"])
        #expect(fence.calls.count == 1)
        await membership.stop()
        await store.close()
    }
}
