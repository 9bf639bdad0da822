import ClusterSchema
import HACoordination
import HACore

extension VigilAgent {
    /// Starts the peer heartbeats when configured (nil, logged, when off or when they cannot start:
    /// failures are then detected by the lease alone), with the address other agents send to.
    func startPeerHeartbeats() async -> (heartbeats: PeerHeartbeats, address: String)? {
        guard case let .enabled(_, address, _, _, _) = configuration.peerHeartbeats else {
            _ = try? PeerHeartbeats.configured(by: configuration, logger: logger)  // logs why they are off
            return nil
        }
        do {
            guard let heartbeats = try PeerHeartbeats.configured(by: configuration, logger: logger) else { return nil }
            try await heartbeats.start()
            return (heartbeats, address)
        } catch {
            logger.error("cannot start peer heartbeats; failures are detected by the lease alone", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Keeps the heartbeats' peer list equal to the agents that publish a heartbeat address.
    func followPeers(_ heartbeats: PeerHeartbeats, _ store: any CoordinationStore) async {
        var peers: [NodeID: String] = [:]
        func apply(_ record: AgentRecord) -> Bool {
            let old = peers[record.node]
            peers[record.node] = record.heartbeatAddress
            return old != record.heartbeatAddress
        }
        while !Task.isCancelled {
            do {
                try await store.follow(ClusterKeys.agents) { change in
                    switch change {
                    case .put(let record): if apply(record.value) { await heartbeats.setPeers(peers) }
                    case .deleted(let name):
                        peers[NodeID(name)] = nil
                        await heartbeats.setPeers(peers)
                    case .resynced(let listing):
                        peers = [:]
                        for record in listing.values { _ = apply(record) }
                        await heartbeats.setPeers(peers)
                    case .unreadable: break
                    }
                }
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
