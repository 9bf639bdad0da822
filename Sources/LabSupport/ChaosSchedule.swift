/// A random fault schedule for the lab's chaos runs, a pure function of its seed, the hosts and the
/// guests: a failing run prints its seed, and the same seed replays the same schedule.
public struct ChaosSchedule: Sendable, Equatable, CustomStringConvertible {
    /// One fault on the lab, applied, held for `holdSeconds`, then undone; an operator's request may
    /// come in right after the fault (as on a bad day: someone moves a guest or drains a host).
    public struct Step: Sendable, Equatable, CustomStringConvertible {
        public let fault: Fault
        /// How long the fault lasts before it is undone (a powered-off host is started again).
        public let holdSeconds: Int
        /// A request made just after the fault, while it lasts (nil: none).
        public let operation: Operation?

        public var description: String {
            "\(fault) for \(holdSeconds) s" + (operation.map { ", meanwhile \($0)" } ?? "")
        }
    }

    /// An operator's request made during a fault.
    public enum Operation: Sendable, Equatable, CustomStringConvertible {
        /// `vigil group move VM` to the best node.
        case move(vm: String)
        /// `vigil node drain HOST`; undone with `vigil node resume HOST` after the fault.
        case drain(host: String)

        public var description: String {
            switch self {
            case .move(let vm): "move \(vm)"
            case .drain(let h): "drain \(h)"
            }
        }
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
        /// kill -STOP of a guest's QEMU (a hung guest: no heartbeat, no guest agent, its monitor
        /// silent); undone by kill -CONT of that process if the cluster has not replaced it.
        case hangGuest(vm: String)
        /// kill -9 of the host's etcd member alone; undone by starting the member again.
        case killEtcdMember(host: String)
        /// kill -9 of whichever etcd member leads when the step begins; undone by starting it again.
        case killEtcdLeader

        public var description: String {
            switch self {
            case .powerOff(let h): "power-off \(h)"
            case .partition(let h): "partition \(h)"
            case .killAgent(let h): "kill -9 vigild on \(h)"
            case .hangAgent(let h): "kill -STOP vigild on \(h)"
            case .killLibvirtd(let h): "kill -9 libvirtd on \(h)"
            case .crashGuest(let vm): "crash guest \(vm)"
            case .hangGuest(let vm): "kill -STOP guest \(vm)"
            case .killEtcdMember(let h): "kill -9 etcd member on \(h)"
            case .killEtcdLeader: "kill -9 etcd's leader member"
            }
        }
    }

    public let seed: UInt64
    public let steps: [Step]

    /// `count` steps drawn from `seed` over `hosts` and `vms`; etcd members are killed on `etcdHosts`
    /// (the lab's first three hosts hold them).
    public init(seed: UInt64, steps count: Int, hosts: [String], vms: [String], etcdHosts: [String]? = nil) {
        let etcdHosts = etcdHosts ?? Array(hosts.prefix(3))
        precondition(!hosts.isEmpty && !vms.isEmpty, "a chaos schedule needs hosts and guests")
        self.seed = seed
        var random = SplitMix64(seed: seed)
        self.steps = (0..<count).map { _ in
            func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
            let host = pick(hosts)
            let fault: Fault
            switch random.next() % 9 {
            case 0: fault = .powerOff(host: host)
            case 1: fault = .partition(host: host)
            case 2: fault = .killAgent(host: host)
            case 3: fault = .hangAgent(host: host)
            case 4: fault = .killLibvirtd(host: host)
            case 5: fault = .crashGuest(vm: pick(vms))
            case 6: fault = .hangGuest(vm: pick(vms))
            case 7: fault = .killEtcdMember(host: etcdHosts.isEmpty ? host : pick(etcdHosts))
            default: fault = .killEtcdLeader
            }
            let hold = 2 + Int(random.next() % 9)
            let operation: Operation?
            switch random.next() % 6 {
            case 0: operation = .move(vm: pick(vms))
            case 1: operation = .drain(host: pick(hosts))
            default: operation = nil
            }
            return Step(fault: fault, holdSeconds: hold, operation: operation)
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
