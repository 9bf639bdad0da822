import ClusterSchema
import Logging

/// How to reach an etcd 3.4 cluster through its v3 JSON gateway.
public struct EtcdConfiguration: Sendable {
    /// Client URLs of the members, e.g. `http://10.0.0.1:2379` or `https://…` with `tls` set.
    /// Calls go to the member that last answered and fail over to the others in order.
    public var endpoints: [String]
    /// Every key of this cluster lives under this prefix (e.g. `/vigil/lab/`).
    public var prefix: String
    /// Client TLS (CA, certificate and key); nil for plaintext on a private subnet.
    public var tls: EtcdTLS?
    /// Deadline of one call, failover between members included (an etcd leader election takes ~2 s).
    public var requestTimeout: Duration
    /// Deadline of one attempt on one member, after which an idempotent call tries the next one.
    public var attemptTimeout: Duration
    /// A lease renewal not answered within this long is also sent to the next member (and so on):
    /// the first answer counts (see `EtcdGateway.hedgedCall`).
    public var renewalHedgeDelay: Duration
    /// A watch that has received nothing for this long is reopened (from its last revision).
    public var watchIdleTimeout: Duration
    /// While a watch is quiet, its member is probed this often (a linearizable read); a member
    /// that fails the probe (down, hung, no leader) is left for the next one.
    public var watchProbeInterval: Duration
    /// Pause before a broken watch reconnects to the next member.
    public var watchRetryDelay: Duration
    public var logger: Logger

    public init(endpoints: [String], prefix: String = ClusterKeys.etcdRoot, tls: EtcdTLS? = nil,
                requestTimeout: Duration = .seconds(5), attemptTimeout: Duration = .seconds(1),
                watchIdleTimeout: Duration = .seconds(60), watchProbeInterval: Duration = .seconds(2),
                watchRetryDelay: Duration = .milliseconds(200), renewalHedgeDelay: Duration = .milliseconds(250),
                logger: Logger = Logger(label: "vigil.coordination.etcd")) {
        self.endpoints = endpoints; self.prefix = prefix; self.tls = tls
        self.requestTimeout = requestTimeout; self.attemptTimeout = attemptTimeout
        self.watchIdleTimeout = watchIdleTimeout; self.watchProbeInterval = watchProbeInterval
        self.watchRetryDelay = watchRetryDelay; self.renewalHedgeDelay = renewalHedgeDelay; self.logger = logger
    }
}

/// Client TLS for etcd: the CA that signed the members' certificates and, for client-certificate
/// authentication (`--client-cert-auth`), this client's certificate chain and key. PEM files.
public struct EtcdTLS: Sendable, Hashable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    public init(caFile: String?, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile; self.certificateFile = certificateFile; self.keyFile = keyFile
    }
}
