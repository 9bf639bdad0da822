import ClusterSchema
import Foundation
@testable import HACoordination
import HACore
import Testing

/// The membership shell on the embedded store (real clock, short TTLs).
@Suite struct MembershipTests {
    @Test func recordCarriesCapacityVersionStateAndHeartbeat() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("m.sqlite"), sweepInterval: .milliseconds(50))
        // A TTL far above the renewal interval: this test is about the record, and a 2 s TTL let the lease
        // lapse (record swept) when a loaded CI machine delayed the first renewal past it.
        let membership = Membership(store: store, record: node("host-1"),
                                    configuration: MembershipConfiguration(ttlSeconds: 15, keepAliveInterval: .milliseconds(200)),
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
        #expect(try await store.get(ClusterKeys.node("host-1"))?.lease == (await membership.lease))
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

    @Test func theFenceMarginGrowsWithTheGuestsAndWithTheKillsMeasured() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("m.sqlite"), sweepInterval: .milliseconds(50))
        let fence = RecordingFence(stopTime: .milliseconds(900), guests: 6)
        let log = LogCapture()
        let membership = Membership(store: store, record: node("host-1"),
                                    configuration: MembershipConfiguration(ttlSeconds: 30, keepAliveInterval: .milliseconds(200),
                                                                           fenceMargin: .milliseconds(500)),
                                    selfFence: fence, logger: log.logger)
        try await membership.start()
        // No kill measured yet: 100 ms per guest on top of the slack.
        #expect(await eventually(timeout: .seconds(5)) { await membership.fenceMargin == .milliseconds(1100) })
        let lease = try #require(await membership.lease)
        try await store.revokeLease(lease)
        #expect(await eventually(timeout: .seconds(10)) { await !membership.fences.isEmpty })
        let event = try #require(await membership.fences.first)
        #expect(event.guests == 6 && event.margin == .milliseconds(1100))
        // The kill took ~900 ms for 6 guests: that is the estimate now (and more for more guests).
        let measured = try #require(await membership.margin.kills.first)
        #expect(measured.guests == 6 && measured.took >= .milliseconds(900), "\(measured)")
        #expect(await eventually(timeout: .seconds(5)) { await membership.fenceMargin >= .milliseconds(1400) })
        #expect(log.entries.contains { $0.message.contains("self-fenced") && $0.metadata["kill.took"] != nil })
        await membership.stop()
        await store.close()
    }

    @Test func aLeaseTooShortForTheGuestsSaysSo() async throws {
        let dir = try TempDir()
        let store = try EmbeddedStore(path: dir.file("m.sqlite"), sweepInterval: .milliseconds(50))
        let log = LogCapture()
        // TTL 5 s, renewals every 1 s: at most 3 s of margin; 40 guests at 100 ms need 1.5 + 4 s.
        let membership = Membership(store: store, record: node("host-1"),
                                    configuration: MembershipConfiguration(ttlSeconds: 5, fenceMargin: .milliseconds(1500)),
                                    selfFence: RecordingFence(guests: 40), logger: log.logger)
        try await membership.start()
        #expect(await eventually(timeout: .seconds(5)) { await membership.fenceMargin == .seconds(3) })
        #expect(log.entries.contains { $0.level == .warning && $0.message.contains("raise the lease TTL") && $0.metadata["guests"] == "40" })
        await membership.stop()
        await store.close()
    }
}
