import Foundation

/// Peer heartbeats: agents beat each other directly over UDP, authenticated with the cluster
/// secret, so that a silent host is suspected in about a second (the lease takes its TTL). A
/// suspicion never starts a VM by itself: it leads to fencing, and the fencer first checks whether
/// the host's libvirtd answers.
///
/// They run only with a cluster secret and an address peers can send to; without either, vigild
/// logs why and runs on the lease alone (`AgentConfiguration.peerHeartbeats`).
public struct PeerSettings: Codable, Sendable, Equatable {
    /// `host:port` to receive beats on; empty disables peer heartbeats.
    public var listen: String = "0.0.0.0:7947"
    /// `host:port` other agents send beats to (published in the agent record). Absent: the host of
    /// `migration_uri` (qemu+tcp, qemu+tls or qemu+ssh) with the port of `listen`.
    public var address: String?
    /// Milliseconds between beats to every peer.
    public var periodMilliseconds: Int = 100
    /// Milliseconds of silence after which a peer is suspected; at least 3 periods.
    public var timeoutMilliseconds: Int = 1000
    /// The cluster secret (16 or more characters, mode 0600). Absent: `api.secret_file`.
    public var secretFile: String?

    enum CodingKeys: String, CodingKey {
        case listen, address, periodMilliseconds = "period_ms", timeoutMilliseconds = "timeout_ms", secretFile = "secret_file"
    }

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? listen
        address = try c.decodeIfPresent(String.self, forKey: .address)
        periodMilliseconds = try c.decodeIfPresent(Int.self, forKey: .periodMilliseconds) ?? periodMilliseconds
        timeoutMilliseconds = try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds) ?? timeoutMilliseconds
        secretFile = try c.decodeIfPresent(String.self, forKey: .secretFile)
    }

    /// Checks the values; a bad one is named.
    func validate() throws(ConfigurationFileError) {
        if !listen.isEmpty, Self.port(of: listen) == nil {
            throw .invalid(setting: "peers.listen", problem: "'\(listen)' is not address:port (port 1 to 65535), nor empty to disable")
        }
        if let address, Self.port(of: address) == nil {
            throw .invalid(setting: "peers.address", problem: "'\(address)' is not host:port (port 1 to 65535)")
        }
        guard (10...10_000).contains(periodMilliseconds) else {
            throw .invalid(setting: "peers.period_ms", problem: "must be 10 to 10000 milliseconds")
        }
        guard timeoutMilliseconds >= 3 * periodMilliseconds, timeoutMilliseconds <= 600_000 else {
            throw .invalid(setting: "peers.timeout_ms", problem: "must be at least 3 × period_ms (\(3 * periodMilliseconds)) and at most 600000")
        }
        if let secretFile, !secretFile.hasPrefix("/") {
            throw .invalid(setting: "peers.secret_file", problem: "must be an absolute path")
        }
    }

    /// The port of a `host:port` with a non-empty host and a port from 1 to 65535.
    static func port(of hostPort: String) -> Int? {
        guard let (host, port) = APIServer.hostPort(hostPort), !host.isEmpty, (1...65535).contains(port) else { return nil }
        return port
    }
}

/// What peer heartbeats run with, or why they do not run.
public enum PeerHeartbeatPlan: Sendable, Equatable {
    case enabled(listen: String, address: String, period: Duration, timeout: Duration, secretFile: String)
    case disabled(reason: String)
}

extension AgentConfiguration {
    /// Peer heartbeats as configured: the address defaults from `migration_uri`, the secret from the API's.
    public var peerHeartbeats: PeerHeartbeatPlan {
        guard !peers.listen.isEmpty, let port = PeerSettings.port(of: peers.listen) else {
            return .disabled(reason: "peers.listen is empty")
        }
        guard let secretFile = peers.secretFile ?? api.secretFile else {
            return .disabled(reason: "no cluster secret (set peers.secret_file or api.secret_file)")
        }
        guard let address = peers.address ?? Self.migrationHost(migrationURI).map({ "\($0):\(port)" }) else {
            return .disabled(reason: "no address for peers to send to (set peers.address, or a migration_uri with a host)")
        }
        return .enabled(listen: peers.listen, address: address, period: .milliseconds(peers.periodMilliseconds),
                        timeout: .milliseconds(peers.timeoutMilliseconds), secretFile: secretFile)
    }

    /// The host of a qemu+tcp, qemu+tls or qemu+ssh URI, bracketed when it is an IPv6 address.
    static func migrationHost(_ uri: String?) -> String? {
        guard let uri, let components = URLComponents(string: uri), ["qemu+tcp", "qemu+tls", "qemu+ssh"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else { return nil }
        return host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
