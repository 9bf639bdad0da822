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
        func apply(_ kv: KeyValue) -> Bool {
            guard let record = try? StoreCoding.decode(AgentRecord.self, kv.value, key: kv.key) else { return false }
            let old = peers[record.node]
            peers[record.node] = record.heartbeatAddress
            return old != record.heartbeatAddress
        }
        while !Task.isCancelled {
            do {
                let (kvs, revision) = try await store.list(prefix: ClusterKeys.agents)
                peers = [:]
                for kv in kvs { _ = apply(kv) }
                await heartbeats.setPeers(peers)
                for try await event in store.watch(prefix: ClusterKeys.agents, fromRevision: revision + 1) {
                    switch event {
                    case .put(let kv): if apply(kv) { await heartbeats.setPeers(peers) }
                    case .delete(let key, _):
                        peers[NodeID(String(key.dropFirst(ClusterKeys.agents.count)))] = nil
                        await heartbeats.setPeers(peers)
                    case .resync(let kvs, _):
                        peers = [:]
                        for kv in kvs { _ = apply(kv) }
                        await heartbeats.setPeers(peers)
                    }
                }
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
