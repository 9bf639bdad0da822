import Crypto
import Foundation
import HACore
import Logging
import NIOCore
import NIOPosix

/// Peer heartbeats: the agents' direct, fast failure detector (issue 9), beside the etcd lease.
///
/// Binds a UDP socket, sends an authenticated beat (`PeerBeat`) to every peer every `period`, takes
/// the peers' beats (refusing bad MACs, other clusters, its own, replays; see `PeerBeatAdmission`),
/// and ticks `PeerLiveness` every `period / 2`, so a silent peer is suspected `timeout` after its
/// last beat (plus at most half a period). Verdicts come out of `verdicts`.
///
/// Suspicion never starts a VM: the agent leads it to fencing, and the fencer first checks whether
/// the host's libvirtd answers.
public actor PeerHeartbeats {
    /// Suspicions and recoveries, in order; finishes when the heartbeats stop.
    public nonisolated let verdicts: AsyncStream<PeerVerdict>
    private let continuation: AsyncStream<PeerVerdict>.Continuation
    /// This process's incarnation: random per start, so peers tell a restarted agent from a replay.
    public nonisolated let incarnation = UInt64.random(in: 1...UInt64.max)
    /// The local address heard on (`host:port`).
    public nonisolated let listen: String
    public nonisolated let node: NodeID
    public nonisolated let period: Duration

    private let cluster: String
    private let key: SymmetricKey
    private let logger: Logger
    private nonisolated let clock = ContinuousClock()
    private nonisolated let origin: ContinuousClock.Instant
    private var liveness: PeerLiveness
    private var admission: PeerBeatAdmission
    private var seq: UInt64 = 0
    private var targets: [NodeID: SocketAddress] = [:]
    private var channel: Channel?
    private var run: Task<Void, Never>?
    private var stopped = false

    /// The port bound (useful when `listen` asks for port 0); nil when not running.
    public private(set) var boundPort: Int?
    /// Datagrams taken as beats.
    public private(set) var accepted = 0
    /// Datagrams refused (bad MAC, malformed, too large, other cluster, own, replayed).
    public private(set) var rejected = 0
    /// Beats that could not be sent.
    public private(set) var sendFailures = 0

    /// Heartbeats for `node` of `cluster`, authenticated with the secret in `secretFile` (mode 0600,
    /// 16 or more characters). Nothing is bound until `start()`.
    public init(cluster: String, node: NodeID, listen: String, period: Duration, timeout: Duration,
                secretFile: String, logger: Logger) throws {
        self.init(cluster: cluster, node: node, listen: listen, period: period, timeout: timeout,
                  secret: try ClusterSecret(path: secretFile), logger: logger)
    }

    init(cluster: String, node: NodeID, listen: String, period: Duration, timeout: Duration, secret: ClusterSecret, logger: Logger) {
        self.cluster = cluster
        self.node = node
        self.listen = listen
        self.period = period
        self.key = SymmetricKey(data: secret.keyBytes)
        self.logger = logger
        origin = clock.now
        liveness = PeerLiveness(timeout: TimeSpan(timeout))
        admission = PeerBeatAdmission(cluster: cluster, node: node)
        (verdicts, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Binds `listen` and starts sending, receiving and ticking. Throws when the address cannot be
    /// bound. One run per instance: after `stop()`, make a new one.
    public func start() async throws {
        guard run == nil else { return }
        guard !stopped else { throw PeerHeartbeatsError.stopped }
        guard let (host, port) = APIServer.hostPort(listen) else { throw PeerHeartbeatsError.badAddress(listen) }
        let async = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // A datagram larger than any beat arrives truncated, fails its MAC and is dropped.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: PeerBeat.maximumLength + 1))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        channel = async.channel
        boundPort = async.channel.localAddress?.port
        // Peers set before the start get a whole timeout from now to be heard.
        let peers = liveness.tracked
        liveness.track([], at: now())
        liveness.track(peers, at: now())
        logger.notice("peer heartbeats started", metadata: [
            "peers.listen": "\(listen)", "peers.port": "\(boundPort.map(String.init) ?? "?")",
            "peers.period": "\(period)", "peers.timeout": "\(liveness.timeout)"])
        run = Task { await Self.serve(async, heartbeats: self) }
    }

    /// Stops sending and receiving and closes the socket; `verdicts` finishes. Idempotent.
    public func stop() async {
        stopped = true
        continuation.finish()
        guard let task = run else { return }
        run = nil
        task.cancel()
        try? await channel?.close()
        await task.value
        channel = nil
        boundPort = nil
        logger.notice("peer heartbeats stopped", metadata: ["peers.listen": "\(listen)"])
    }

    /// The peers to beat and watch, by node, each at `host:port`. This node, if listed, is left out.
    /// A new peer is given a whole timeout to be heard; a peer no longer listed is forgotten.
    public func setPeers(_ peers: [NodeID: String]) {
        var resolved: [NodeID: SocketAddress] = [:]
        for (peer, address) in peers where peer != node {
            guard let (host, port) = APIServer.hostPort(address), let socket = Self.socketAddress(host: host, port: port) else {
                logger.warning("cannot send peer heartbeats to this address", metadata: ["peer": "\(peer)", "peers.address": "\(address)"])
                continue
            }
            resolved[peer] = socket
        }
        targets = resolved
        liveness.track(Set(peers.keys).subtracting([node]), at: now())
    }

    /// How long ago the peer was last heard (or started being watched); nil for a peer not watched.
    public func lastHeard(_ peer: NodeID) -> Duration? {
        liveness.lastHeard(peer).map { (now() - $0).duration }
    }

    /// The peers suspected now.
    public var suspected: Set<NodeID> { liveness.suspected }

    // MARK: - The loops

    private static func serve(_ async: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>,
                              heartbeats: PeerHeartbeats) async {
        do {
            try await async.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while !Task.isCancelled {
                            for envelope in await heartbeats.beats() {
                                do { try await outbound.write(envelope) } catch { await heartbeats.sendFailed(to: envelope.remoteAddress, error) }
                            }
                            try await Task.sleep(for: heartbeats.period)
                        }
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: heartbeats.period / 2)
                            await heartbeats.tick()
                        }
                    }
                    for try await envelope in inbound {
                        await heartbeats.received(Array(buffer: envelope.data), from: envelope.remoteAddress)
                    }
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
        } catch {
            await heartbeats.failed(error)
        }
    }

    /// The next beat, addressed to every peer.
    private func beats() -> [AddressedEnvelope<ByteBuffer>] {
        guard !targets.isEmpty else { return [] }
        seq += 1
        let beat = PeerBeat(cluster: cluster, node: node, incarnation: incarnation, seq: seq,
                            sentAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let buffer = ByteBuffer(bytes: beat.encoded(key: key))
        return targets.sorted { $0.key < $1.key }.map { AddressedEnvelope(remoteAddress: $0.value, data: buffer) }
    }

    private func received(_ bytes: [UInt8], from sender: SocketAddress) {
        do {
            let beat = try PeerBeat.decode(bytes, key: key)
            try admission.admit(beat)
            accepted += 1
            publish(liveness.heard(beat.node, at: now()))
        } catch {
            rejected += 1
            logger.debug("peer heartbeat refused", metadata: ["peers.from": "\(sender)", "reason": "\(error)", "peers.rejected": "\(rejected)"])
        }
    }

    private func tick() { publish(liveness.tick(at: now())) }

    private func publish(_ verdicts: [PeerVerdict]) {
        for verdict in verdicts {
            switch verdict {
            case let .suspected(peer, last):
                logger.warning("peer silent: suspected", metadata: ["peer": "\(peer)", "peers.silentFor": "\(now() - last)"])
            case .recovered(let peer):
                logger.notice("peer heard again", metadata: ["peer": "\(peer)"])
            }
            continuation.yield(verdict)
        }
    }

    private func sendFailed(to address: SocketAddress, _ error: any Error) {
        sendFailures += 1
        logger.debug("cannot send a peer heartbeat", metadata: ["peers.to": "\(address)", "error": "\(error)"])
    }

    private func failed(_ error: any Error) {
        guard run != nil else { return }
        logger.error("peer heartbeats stopped on an error", metadata: ["error": "\(error)"])
    }

    // MARK: - Time and addresses

    /// How long ago `lastHeard` (a time in this detector's verdicts) was.
    public nonisolated func silence(since lastHeard: Timestamp) -> Duration {
        (now() - lastHeard).duration
    }

    /// Milliseconds since this instance was made, on the monotonic clock.
    private nonisolated func now() -> Timestamp { Timestamp(milliseconds: TimeSpan(origin.duration(to: clock.now)).milliseconds) }

    private static func socketAddress(host: String, port: Int) -> SocketAddress? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return (try? SocketAddress(ipAddress: bare, port: port)) ?? (try? SocketAddress.makeAddressResolvingHost(bare, port: port))
    }
}

/// Peer heartbeats that cannot run.
public enum PeerHeartbeatsError: Error, Sendable, Equatable, CustomStringConvertible {
    case badAddress(String)
    case stopped

    public var description: String {
        switch self {
        case .badAddress(let address): "peer heartbeat address '\(address)' is not host:port"
        case .stopped: "these peer heartbeats were stopped; start new ones"
        }
    }
}

extension PeerHeartbeats {
    /// Peer heartbeats as `configuration` sets them up (not started), or nil when they are off; the
    /// reason is logged. Throws when the secret file cannot be used.
    public static func configured(by configuration: AgentConfiguration, logger: Logger) throws -> PeerHeartbeats? {
        switch configuration.peerHeartbeats {
        case .disabled(let reason):
            logger.notice("peer heartbeats off: failures are detected by the lease alone", metadata: ["reason": "\(reason)"])
            return nil
        case let .enabled(listen, _, period, timeout, secretFile):
            return try PeerHeartbeats(cluster: configuration.cluster, node: NodeID(configuration.node), listen: listen,
                                      period: period, timeout: timeout, secretFile: secretFile, logger: logger)
        }
    }
}
