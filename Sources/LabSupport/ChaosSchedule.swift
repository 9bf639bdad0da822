/// A random fault schedule for the lab's chaos runs, a pure function of its seed, the hosts and the
/// guests: a failing run prints its seed, and the same seed replays the same schedule.
public struct ChaosSchedule: Sendable, Equatable, CustomStringConvertible {
    /// One fault on the lab, applied, held for `holdSeconds`, then undone.
    public struct Step: Sendable, Equatable, CustomStringConvertible {
        public let fault: Fault
        /// How long the fault lasts before it is undone (a powered-off host is started again).
        public let holdSeconds: Int

        public var description: String { "\(fault) for \(holdSeconds) s" }
    }

    /// What a step does to the lab.
    public enum Fault: Sendable, Equatable, CustomStringConvertible {
        /// Power loss of a host (every process in its namespaces); undone by booting it and its agent.
        case powerOff(host: String)
        /// The host cut off the cluster network, its processes running on; undone by healing the link.
        case partition(host: String)
        /// kill -9 of the host's vigild alone; undone by starting it again.
        case killAgent(host: String)
        /// kill -STOP of the host's vigild (hung, not dead); undone by kill -CONT.
        case hangAgent(host: String)
        /// kill -9 of the host's libvirtd (QEMU runs on); undone by starting libvirtd again.
        case killLibvirtd(host: String)
        /// kill -9 of a guest's QEMU (a guest crash); nothing to undo: the cluster restarts it.
        case crashGuest(vm: String)

        public var description: String {
            switch self {
            case .powerOff(let h): "power-off \(h)"
            case .partition(let h): "partition \(h)"
            case .killAgent(let h): "kill -9 vigild on \(h)"
            case .hangAgent(let h): "kill -STOP vigild on \(h)"
            case .killLibvirtd(let h): "kill -9 libvirtd on \(h)"
            case .crashGuest(let vm): "crash guest \(vm)"
            }
        }
    }

    public let seed: UInt64
    public let steps: [Step]

    /// `count` steps drawn from `seed` over `hosts` and `vms`.
    public init(seed: UInt64, steps count: Int, hosts: [String], vms: [String]) {
        precondition(!hosts.isEmpty && !vms.isEmpty, "a chaos schedule needs hosts and guests")
        self.seed = seed
        var random = SplitMix64(seed: seed)
        self.steps = (0..<count).map { _ in
            let host = hosts[Int(random.next() % UInt64(hosts.count))]
            let fault: Fault
            switch random.next() % 6 {
            case 0: fault = .powerOff(host: host)
            case 1: fault = .partition(host: host)
            case 2: fault = .killAgent(host: host)
            case 3: fault = .hangAgent(host: host)
            case 4: fault = .killLibvirtd(host: host)
            default: fault = .crashGuest(vm: vms[Int(random.next() % UInt64(vms.count))])
            }
            return Step(fault: fault, holdSeconds: 2 + Int(random.next() % 9))
        }
    }

    public var description: String {
        "seed \(seed): " + steps.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "; ")
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast generator whose sequence depends on its seed alone.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
