/// One fence device as Pacemaker's fenced uses it: a fence-agents executable (`fence_ipmilan`,
/// `fence_redfish`, ...) and the options it reads on standard input.
public struct FenceDevice: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Absolute path of the agent executable.
    public var agent: String
    /// Device options sent as `key=value` lines (`ip`, `ipport`, `username`, `password`, ...).
    /// Never printed: they may hold a password.
    public var options: [String: String]
    /// The plug (port, outlet, BMC host name) to act on; absent: the node's own name.
    public var plug: String?
    /// How long one attempt may take before its whole process group is killed, seconds.
    public var timeoutSeconds: Double
    /// Extra attempts after a failed one.
    public var retries: Int

    /// The keys Vigil sets itself on every run; options must not carry them.
    public static let reservedOptions: Set<String> = ["action", "plug", "port", "nodename"]

    enum CodingKeys: String, CodingKey { case agent, options, plug, timeoutSeconds = "timeout_seconds", retries }

    public init(agent: String, options: [String: String] = [:], plug: String? = nil, timeoutSeconds: Double = 20, retries: Int = 1) {
        self.agent = agent
        self.options = options
        self.plug = plug
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FenceDevice(agent: "")
        self.init(agent: try c.decodeIfPresent(String.self, forKey: .agent) ?? d.agent,
                  options: try c.decodeIfPresent([String: OptionValue].self, forKey: .options)?.mapValues(\.text) ?? d.options,
                  plug: try c.decodeIfPresent(String.self, forKey: .plug),
                  timeoutSeconds: try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? d.timeoutSeconds,
                  retries: try c.decodeIfPresent(Int.self, forKey: .retries) ?? d.retries)
    }

    /// The first option key (sorted) that would break the `key=value` protocol: empty, holding
    /// '=', or with a newline in the key or its value.
    public var malformedOptionKey: String? {
        options.sorted { $0.key < $1.key }.first { $0.key.isEmpty || $0.key.contains("=") || ($0.key + $0.value).contains(where: \.isNewline) }?.key
    }

    /// The plug to name when fencing `node`.
    public func plug(for node: String) -> String { plug ?? node }

    /// The agent's file name, for reports (`fence_ipmilan`).
    public var agentName: String { agent.split(separator: "/").last.map(String.init) ?? agent }

    /// The agent and plug, never the options.
    public var description: String { plug.map { "\(agentName) (plug \($0))" } ?? agentName }

    /// The `key=value` lines an agent reads on standard input for `action` on `node` (nil: no
    /// plug, as for `monitor`, `list` and `metadata`): action, plug and port, nodename, then the
    /// options sorted by key.
    public func inputLines(action: FenceAction, node: String?) -> [String] {
        var lines = ["action=\(action.rawValue)"]
        if let node { lines += ["plug=\(plug(for: node))", "port=\(plug(for: node))", "nodename=\(node)"] }
        return lines + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// A YAML option value: a string, or a number or boolean written without quotes (`lanplus: 1`).
    struct OptionValue: Decodable {
        let text: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { text = s }
            else if let i = try? c.decode(Int.self) { text = String(i) }
            else if let b = try? c.decode(Bool.self) { text = b ? "1" : "0" }
            else { text = String(try c.decode(Double.self)) }
        }
    }
}

/// A fence-agents action.
public enum FenceAction: String, Codable, Sendable, CaseIterable {
    case off, on, reboot, status, monitor, list, metadata
}
