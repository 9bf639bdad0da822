/// Fence devices per node: the levels the leader tries, in order, before a dead node's groups
/// start elsewhere. Empty by default (no power fencing; the lease and self-fencing still apply).
public struct FencingSettings: Codable, Sendable, Equatable {
    /// Per node name: its levels, each a list of devices that must all confirm off.
    public var nodes: [String: [[FenceDevice]]] = [:]

    enum CodingKeys: String, CodingKey { case nodes }

    public init(nodes: [String: [[FenceDevice]]] = [:]) { self.nodes = nodes }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodes = try c.decodeIfPresent([String: [[FenceDevice]]].self, forKey: .nodes) ?? nodes
    }

    /// The node's fencing topology; nil when it has no fence device.
    public func topology(for node: String) -> FenceTopology? { nodes[node].map(FenceTopology.init(levels:)) }

    /// Checks every device; the error names the node, level and device (from 1) and the setting.
    func validate() throws(ConfigurationFileError) {
        for (node, levels) in nodes.sorted(by: { $0.key < $1.key }) {
            guard !levels.isEmpty else { throw .invalid(setting: "fencing.nodes.\(node)", problem: "needs at least one level of devices") }
            for (l, devices) in levels.enumerated() {
                let level = "fencing.nodes.\(node) level \(l + 1)"
                guard !devices.isEmpty else { throw .invalid(setting: level, problem: "a level needs at least one device") }
                for (d, device) in devices.enumerated() {
                    try Self.validate(device, at: "\(level) device \(d + 1)")
                }
            }
        }
    }

    private static func validate(_ device: FenceDevice, at place: String) throws(ConfigurationFileError) {
        guard !device.agent.isEmpty else { throw .invalid(setting: "\(place) agent", problem: "must name the agent executable") }
        guard device.agent.hasPrefix("/") else { throw .invalid(setting: "\(place) agent", problem: "'\(device.agent)' must be an absolute path") }
        guard device.timeoutSeconds > 0 else { throw .invalid(setting: "\(place) timeout_seconds", problem: "must be positive") }
        guard device.retries >= 0 else { throw .invalid(setting: "\(place) retries", problem: "must not be negative") }
        if device.plug?.isEmpty == true { throw .invalid(setting: "\(place) plug", problem: "must not be empty (leave it out to use the node name)") }
        if let key = device.options.keys.sorted().first(where: FenceDevice.reservedOptions.contains) {
            throw .invalid(setting: "\(place) options.\(key)", problem: "is set by vigild (use plug to name the plug)")
        }
        if let key = device.malformedOptionKey {
            throw .invalid(setting: "\(place) options.\(key)", problem: "a key must be non-empty without '=', and no key or value may hold a newline")
        }
    }
}
