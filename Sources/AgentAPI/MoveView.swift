/// A group's latest move as `GET /v1/moves` and the group's status show it: its phase, each VM's
/// ladder rung and progress, and every step with its reason.
public struct MoveView: Codable, Sendable, Equatable {
    /// One VM's part of the move.
    public struct VM: Codable, Sendable, Equatable {
        public var name: String
        /// precopy, autoConverge, postCopy or abort (live moves).
        public var rung: String?
        /// The latest progress sample in one line (live moves).
        public var progress: String?
        /// The save image written for it (quick moves).
        public var image: String?
        /// Bytes copied so far and in all (live moves, from the latest progress sample).
        public var bytesProcessed: UInt64?
        public var bytesTotal: UInt64?

        public init(name: String, rung: String? = nil, progress: String? = nil, image: String? = nil,
                    bytesProcessed: UInt64? = nil, bytesTotal: UInt64? = nil) {
            self.bytesProcessed = bytesProcessed
            self.bytesTotal = bytesTotal
            self.name = name
            self.rung = rung
            self.progress = progress
            self.image = image
        }
    }

    /// Something that happened in the move, and why.
    public struct Step: Codable, Sendable, Equatable {
        /// Seconds since the Unix epoch.
        public var at: Double
        public var node: String
        public var vm: String?
        public var what: String
        public var reason: String

        public init(at: Double, node: String, vm: String? = nil, what: String, reason: String) {
            self.at = at
            self.node = node
            self.vm = vm
            self.what = what
            self.reason = reason
        }
    }

    public var id: String
    public var group: String
    /// live, quick or cold.
    public var method: String
    public var from: String
    public var to: String
    /// migrating, saving, saved, restoring, done, failed or aborted.
    public var phase: String
    /// Seconds since the Unix epoch.
    public var startedAt: Double
    public var updatedAt: Double
    public var vms: [VM]
    public var steps: [Step]

    public init(id: String, group: String, method: String, from: String, to: String, phase: String, startedAt: Double,
                updatedAt: Double, vms: [VM], steps: [Step]) {
        self.id = id
        self.group = group
        self.method = method
        self.from = from
        self.to = to
        self.phase = phase
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.vms = vms
        self.steps = steps
    }

    /// Whether the move is still under way.
    public var inFlight: Bool { !["done", "failed", "aborted"].contains(phase) }

    /// The move in one line, e.g. `live h1->h2 migrating: vm1 autoConverge (41/130 MiB sent, ...)`.
    public var summary: String {
        let vms = vms.map { vm in
            [vm.name, vm.rung, vm.progress.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        }
        return "\(method) \(from)->\(to) \(phase)" + (vms.isEmpty ? "" : ": " + vms.joined(separator: "; "))
    }
}

/// `GET /v1/moves`: every group's latest move.
public struct MoveList: Codable, Sendable, Equatable {
    public var moves: [MoveView]
    public init(moves: [MoveView]) { self.moves = moves }
}
