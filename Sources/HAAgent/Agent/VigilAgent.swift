import AgentAPI
import ClusterSchema
import Foundation
import HACoordination
import HACore
import Logging
import ServiceLifecycle

/// One host's whole agent as a service: checks the host, joins the cluster, runs the node agent,
/// campaigns for and runs the coordinator, and answers the CLI.
public struct VigilAgent: Service, CustomStringConvertible {
    public let configuration: AgentConfiguration
    public let metrics: AgentMetrics
    /// Configurations re-read on SIGHUP.
    public let reloads: ConfigurationReloads
    let logger: Logger

    public var description: String { "VigilAgent(node: \(configuration.node))" }

    public init(configuration: AgentConfiguration, metrics: AgentMetrics = AgentMetrics(), reloads: ConfigurationReloads = ConfigurationReloads(),
                logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.reloads = reloads
        self.logger = logger
    }

    public func run() async throws {
        try LockManagerCheck.verify(qemuConf: configuration.qemuConfPath)
        let node = NodeID(configuration.node)
        let hypervisor = try LibvirtHypervisor(uri: configuration.libvirtURI)
        let store = try openStore()
        let capacity = try hostCapacity(hypervisor)
        let agent = NodeAgent(node: node, store: store, hypervisor: hypervisor, configuration: configuration,
                              metrics: metrics, logger: logger)
        let m = configuration.membership
        let membership = Membership(
            store: store,
            record: NodeRecord(id: node, capacity: capacity, version: VigilVersion.current),
            configuration: MembershipConfiguration(ttlSeconds: Int64(m.leaseTTLSeconds),
                                                   keepAliveInterval: .seconds(m.keepAliveIntervalSeconds),
                                                   fenceMargin: .seconds(m.selfFenceMarginSeconds)),
            selfFence: NodeAgentFence(agent: agent), logger: logger)
        let election = Election(store: store, candidate: node, key: ClusterKeys.leader, logger: logger)
        let peers = await startPeerHeartbeats()
        await membership.onFence { reason in await election.stepDown(reason: reason) }
        let leader = LeaderShell(node: node, store: store, election: election, membership: membership,
                                 configuration: try configuration.coordinatorConfiguration(), fencing: configuration.fencing,
                                 peers: peers?.heartbeats, metrics: metrics, logger: logger)
        let api = APIServer(configuration: configuration, store: store, node: node, metrics: metrics, logger: logger)
        try await joinWithRetry(membership)
        let watchdog = await armWatchdog(membership)
        logger.notice("vigild running", metadata: ["node": "\(node)", "cluster": "\(configuration.cluster)",
                                                   "store": "\(configuration.store.etcdEndpoints.isEmpty ? "embedded" : "etcd")"])
        // SIGTERM (graceful shutdown) cancels the agent's work; the domains keep running.
        var failure: (any Error)?
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let reset = await watchdog?.resetAfterExpiry?.seconds
                    group.addTask { try await agent.run(watchdogResetSeconds: reset, heartbeatAddress: peers?.address) }
                    if let peers { group.addTask { await followPeers(peers.heartbeats, store) } }
                    group.addTask { await leader.run() }
                    group.addTask { try await watchRejoin(membership, agent) }
                    group.addTask { try await api.run() }
                    group.addTask { await applyReloads(to: agent) }
                    if let watchdog { group.addTask { await tickWatchdogHealth(watchdog) } }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
        } catch {
            failure = error
            logger.error("vigild failed", metadata: ["error": "\(error)"])
        }
        // A graceful stop disarms the watchdog (an upgrade must not reset the host); a failure leaves it armed.
        if failure == nil {
            await agent.withdrawWatchdog()
            await watchdog?.disarm()
        } else {
            await watchdog?.abandon()
        }
        logger.notice("vigild stopping: HA domains keep running; the lease lapses unless the agent returns", metadata: ["node": "\(node)"])
        await peers?.heartbeats.stop()
        try? await election.resign()
        await membership.abandon()
        if let etcd = store as? EtcdStore { try? await etcd.close() }
        if let embedded = store as? EmbeddedStore { await embedded.close() }
        if let failure { throw failure }
    }

    /// The store: etcd when endpoints are configured, else the embedded single-host store.
    private func openStore() throws -> any CoordinationStore {
        let s = configuration.store
        if s.etcdEndpoints.isEmpty {
            return try EmbeddedStore.open(path: s.embeddedPath)
        }
        let tls = (s.etcdCA != nil || s.etcdCert != nil) ? EtcdTLS(caFile: s.etcdCA, certificateFile: s.etcdCert, keyFile: s.etcdKey) : nil
        return try EtcdStore(EtcdConfiguration(endpoints: s.etcdEndpoints, prefix: ClusterKeys.etcdPrefix(cluster: configuration.cluster), tls: tls,
                                               attemptTimeout: .milliseconds(Int64(s.callTimeoutSeconds * 1000)), logger: logger))
    }

    private func hostCapacity(_ hypervisor: LibvirtHypervisor) throws -> NodeCapacity {
        let info = try hypervisor.withConnection { try $0.nodeInfo() }
        let c = configuration.capacity
        let memory = c.memoryMiB ?? Int(info.memoryKiB / 1024)
        return NodeCapacity(memoryMiB: memory, vcpus: c.vcpus ?? info.cpus * c.vcpuOvercommit, reservedMemoryMiB: c.reservedMemoryMiB)
    }

    private func joinWithRetry(_ membership: Membership) async throws {
        while true {
            do { return try await membership.start() } catch {
                logger.error("cannot join the cluster; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Applies each reloaded configuration to the node agent and says what still needs a restart.
    private func applyReloads(to agent: NodeAgent) async {
        for await fresh in reloads.updates {
            let pending = await agent.reload(fresh)
            if pending.isEmpty {
                logger.notice("configuration reloaded", metadata: ["applied": "\(AgentConfiguration.reloadableSettings)"])
            } else {
                logger.warning("configuration reloaded; some changes need a restart", metadata: [
                    "applied": "\(AgentConfiguration.reloadableSettings)", "restart.needed": "\(pending)"])
            }
        }
        // No more reloads can come; the agent itself keeps running until it is cancelled.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// Lets the node agent run tasks again once the membership holds a lease after a self-fence, and
    /// publishes the lease renewal latency.
    private func watchRejoin(_ membership: Membership, _ agent: NodeAgent) async throws {
        while true {
            try await Task.sleep(for: .milliseconds(200))
            if await !membership.isFenced, await membership.lease != nil { await agent.rejoined() }
            if let latency = await membership.lastRenewLatency { metrics.leaseRenewed(seconds: latency.seconds) }
        }
    }
}
