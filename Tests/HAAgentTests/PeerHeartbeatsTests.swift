import ClusterSchema
import Crypto
import Foundation
import HACore
import Logging
import NIOCore
import NIOPosix
import XCTest
@testable import HAAgent

/// Peer heartbeats over UDP on 127.0.0.1: the datagram format, who is refused, and suspicion.
final class PeerHeartbeatsTests: XCTestCase {
    let secret = "0123456789abcdef-peers"
    let period = Duration.milliseconds(50)
    let timeout = Duration.milliseconds(500)
    var key: SymmetricKey { SymmetricKey(data: ClusterSecret(secret: secret).keyBytes) }

    func heartbeats(_ node: NodeID, secret: String? = nil, port: Int = 0) -> PeerHeartbeats {
        var logger = Logger(label: "peers.\(node)")
        logger.logLevel = .notice
        return PeerHeartbeats(cluster: "lab", node: node, listen: "127.0.0.1:\(port)", period: period, timeout: timeout,
                              secret: ClusterSecret(secret: secret ?? self.secret), logger: logger)
    }

    /// Starts them all and makes each a peer of every other.
    func meshed(_ all: [PeerHeartbeats]) async throws -> [NodeID: String] {
        var addresses: [NodeID: String] = [:]
        for h in all {
            try await h.start()
            let port = await h.boundPort
            addresses[h.node] = "127.0.0.1:\(try XCTUnwrap(port))"
        }
        for h in all { await h.setPeers(addresses) }
        return addresses
    }

    /// Waits up to `limit` for `condition` (a bound for a failing test, not a timing assertion).
    func eventually(within limit: Duration = .seconds(3), _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    /// Every verdict of `h`, as it comes (one consumer for the stream's lifetime: it ends with `stop()`).
    actor VerdictLog {
        private(set) var seen: [PeerVerdict] = []
        func add(_ verdict: PeerVerdict) { seen.append(verdict) }
    }

    func record(_ h: PeerHeartbeats) -> VerdictLog {
        let log = VerdictLog()
        Task { for await verdict in h.verdicts { await log.add(verdict) } }
        return log
    }

    // MARK: - The datagram

    func testBeatRoundTripsAndAnyAlteredByteFailsItsMAC() throws {
        let beat = PeerBeat(cluster: "lab", node: "h1", incarnation: 0xDEAD_BEEF_0123_4567, seq: 42, sentAtMilliseconds: 1_700_000_000_123)
        let bytes = beat.encoded(key: key)
        XCTAssertEqual(bytes.count, 5 + 1 + 3 + 1 + 2 + 24 + 32)
        XCTAssertEqual(try PeerBeat.decode(bytes, key: key), beat)
        for i in bytes.indices {
            var altered = bytes
            altered[i] ^= 0x01
            XCTAssertThrowsError(try PeerBeat.decode(altered, key: key), "byte \(i)") { XCTAssertEqual($0 as? PeerBeatRejection, .badMAC) }
        }
        let other = SymmetricKey(data: Array("another-cluster-secret".utf8))
        XCTAssertThrowsError(try PeerBeat.decode(bytes, key: other)) { XCTAssertEqual($0 as? PeerBeatRejection, .badMAC) }
        XCTAssertThrowsError(try PeerBeat.decode(Array(bytes.prefix(20)), key: key)) { XCTAssertEqual($0 as? PeerBeatRejection, .malformed) }
        XCTAssertThrowsError(try PeerBeat.decode([], key: key)) { XCTAssertEqual($0 as? PeerBeatRejection, .malformed) }
        XCTAssertThrowsError(try PeerBeat.decode(bytes + [UInt8](repeating: 0, count: PeerBeat.maximumLength), key: key)) {
            XCTAssertEqual($0 as? PeerBeatRejection, .tooLarge)
        }
    }

    func testAdmissionRefusesReplaysOtherClustersItselfAndReplacedIncarnations() throws {
        var admission = PeerBeatAdmission(cluster: "lab", node: "h1")
        func beat(_ node: NodeID = "h2", cluster: String = "lab", incarnation: UInt64 = 7, seq: UInt64) -> PeerBeat {
            PeerBeat(cluster: cluster, node: node, incarnation: incarnation, seq: seq, sentAtMilliseconds: 0)
        }
        func refusal(_ b: PeerBeat) -> PeerBeatRejection? {
            do { try admission.admit(b); return nil } catch { return error }
        }
        XCTAssertNil(refusal(beat(seq: 1)))
        XCTAssertEqual(refusal(beat(seq: 1)), .replay("h2"))
        XCTAssertNil(refusal(beat(seq: 5)), "gaps are lost datagrams")
        XCTAssertEqual(refusal(beat(seq: 4)), .replay("h2"))
        XCTAssertEqual(refusal(beat(cluster: "prod", seq: 9)), .otherCluster("prod"))
        XCTAssertEqual(refusal(beat("h1", seq: 9)), .fromSelf)
        XCTAssertNil(refusal(beat(incarnation: 8, seq: 1)), "the agent restarted: a new incarnation starts again at 1")
        XCTAssertEqual(refusal(beat(incarnation: 7, seq: 6)), .replay("h2"), "the replaced process's beats are refused")
        XCTAssertNil(refusal(beat("h3", seq: 1)), "each node has its own sequence")
    }

    func testAgentRecordsPublishTheHeartbeatAddressAndOlderOnesStillDecode() throws {
        let record = AgentRecord(node: "h1", migrationURI: "qemu+tcp://h1/system", heartbeatAddress: "10.77.0.11:7947")
        XCTAssertEqual(try StoreCoding.decode(AgentRecord.self, try StoreCoding.encode(record), key: "agents/h1"), record)
        let older = Array(#"{"node": "h1", "migrationURI": "qemu+tcp://h1/system"}"#.utf8)
        XCTAssertNil(try StoreCoding.decode(AgentRecord.self, older, key: "agents/h1").heartbeatAddress, "an agent without peer heartbeats")
    }

    func testConfiguredHeartbeatsNeedASecretAndAnAddress() throws {
        let logger = Logger(label: "peers.configured")
        XCTAssertNil(try PeerHeartbeats.configured(by: AgentConfiguration(sharedStorage: "/s"), logger: logger), "no secret by default")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("peers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "\(secret)\n".write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = AgentConfiguration(node: "h1", migrationURI: "qemu+tcp://127.0.0.1/system", sharedStorage: "/s")
        configuration.peers.secretFile = path
        chmod(path, 0o644)
        XCTAssertThrowsError(try PeerHeartbeats.configured(by: configuration, logger: logger), "a secret others may read")
        chmod(path, 0o600)
        let h = try XCTUnwrap(try PeerHeartbeats.configured(by: configuration, logger: logger))
        XCTAssertEqual(h.listen, "0.0.0.0:7947")
        XCTAssertEqual(h.node, "h1")
        XCTAssertEqual(h.period, .milliseconds(100))
    }

    // MARK: - Over UDP

    func testPeersHearEachOtherAndASilentOneIsSuspectedOnceThenRecovers() async throws {
        let a = heartbeats("h1"), b = heartbeats("h2"), c = heartbeats("h3")
        let log = record(a)
        let addresses = try await meshed([a, b, c])
        let heard = await eventually {
            let counts = [await a.accepted, await b.accepted, await c.accepted]
            return counts.allSatisfy { $0 >= 10 }
        }
        XCTAssertTrue(heard, "all three hear each other")
        try await Task.sleep(for: timeout * 2)
        var seen = await log.seen
        XCTAssertEqual(seen, [], "no suspicion while all run")
        let lastHeard = await a.lastHeard("h2")
        let ago = try XCTUnwrap(lastHeard)
        XCTAssertLessThan(ago, timeout)
        let rejected = await a.rejected
        XCTAssertEqual(rejected, 0)

        await b.stop()
        let stopped = ContinuousClock.now
        let suspectedOnce = await eventually { await !log.seen.isEmpty }
        print("h1 suspected h2 \(ContinuousClock.now - stopped) after it stopped (timeout \(timeout), period \(period))")
        XCTAssertTrue(suspectedOnce)
        try await Task.sleep(for: timeout * 2)
        seen = await log.seen
        guard seen.count == 1, case .suspected("h2", _) = seen[0] else {
            return XCTFail("expected h2 suspected once (h3 still heard), got \(seen)")
        }
        let suspected = await a.suspected
        XCTAssertEqual(suspected, ["h2"])

        let port = try XCTUnwrap(Int(addresses["h2"]!.split(separator: ":").last!))
        let b2 = heartbeats("h2", port: port)
        try await b2.start()
        await b2.setPeers(addresses)
        let back = await eventually { await log.seen.count >= 2 }
        XCTAssertTrue(back)
        seen = await log.seen
        XCTAssertEqual(seen.dropFirst(), [.recovered("h2")], "the restarted agent (a new incarnation) is heard")
        for h in [a, c, b2] { await h.stop() }
    }

    func testAPeerWithAnotherSecretIsNeverHeard() async throws {
        let a = heartbeats("h1"), intruder = heartbeats("h2", secret: "not-the-cluster-secret")
        let log = record(a)
        _ = try await meshed([a, intruder])
        let suspected = await eventually { await !log.seen.isEmpty }
        XCTAssertTrue(suspected)
        let seen = await log.seen
        guard case .suspected("h2", _)? = seen.first else { return XCTFail("expected h2 suspected, got \(seen)") }
        let accepted = await a.accepted, rejected = await a.rejected
        XCTAssertEqual(accepted, 0)
        XCTAssertGreaterThan(rejected, 0, "its datagrams are counted as rejected")
        for h in [a, intruder] { await h.stop() }
    }

    func testReplayedGarbageForeignAndHugeDatagramsAreRejected() async throws {
        let a = heartbeats("h1")
        try await a.start()
        let bound = await a.boundPort
        let port = try XCTUnwrap(bound)
        await a.setPeers(["h9": "127.0.0.1:9"])
        let raw = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        func send(_ bytes: [UInt8]) async throws {
            try await raw.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: bytes)))
        }
        func beat(_ node: NodeID = "h9", cluster: String = "lab", seq: UInt64) -> [UInt8] {
            PeerBeat(cluster: cluster, node: node, incarnation: 99, seq: seq, sentAtMilliseconds: 0).encoded(key: key)
        }
        let first = beat(seq: 1)
        try await send(first)
        try await send(first)
        let both = await eventually { await a.accepted + a.rejected == 2 }
        XCTAssertTrue(both)
        var accepted = await a.accepted, rejected = await a.rejected
        XCTAssertEqual([accepted, rejected], [1, 1], "the same bytes twice: the replay is rejected")

        var generator = SystemRandomNumberGenerator()
        let garbage: [[UInt8]] = [
            [], [0x56], Array("hello".utf8), (0..<80).map { _ in UInt8.random(in: 0...255, using: &generator) },
            Array(first.dropLast()), beat(cluster: "prod", seq: 2), beat("h1", seq: 2),
            [UInt8](repeating: 0x41, count: 60_000),
        ]
        for bytes in garbage { try await send(bytes) }
        try await send(beat(seq: 2))
        let all = await eventually {
            let (accepted, rejected) = (await a.accepted, await a.rejected)
            return accepted == 2 && rejected == 1 + garbage.count
        }
        accepted = await a.accepted
        rejected = await a.rejected
        XCTAssertTrue(all, "accepted \(accepted), rejected \(rejected) of \(garbage.count + 1) bad ones")
        let lastHeard = await a.lastHeard("h9")
        let heard = try XCTUnwrap(lastHeard)
        XCTAssertLessThan(heard, timeout, "the good beat after the bad ones is still heard")
        try await raw.close()
        await a.stop()
    }

    func testStopIsCleanAndFinishesTheVerdicts() async throws {
        let a = heartbeats("h1")
        try await a.start()
        let bound = await a.boundPort
        let port = try XCTUnwrap(bound)
        await a.stop()
        await a.stop()
        var ended = false
        for await _ in a.verdicts {}
        ended = true
        XCTAssertTrue(ended)
        do { try await a.start(); XCTFail("a stopped instance does not start again") } catch {
            XCTAssertEqual(error as? PeerHeartbeatsError, .stopped)
        }
        let again = heartbeats("h1", port: port)
        try await again.start()
        let rebound = await again.boundPort
        XCTAssertEqual(rebound, port, "the port was released")
        await again.stop()
    }
}
