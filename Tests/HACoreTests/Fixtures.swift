import HACore

/// Small builders shared by the unit tests.
enum Fixture {
    static func node(_ name: String, memory: Int = 8192, vcpus: Int = 8, reserve: Int = 0, state: NodeState = .up) -> Node {
        Node(id: NodeID(name), capacity: NodeCapacity(memoryMiB: memory, vcpus: vcpus, reservedMemoryMiB: reserve), state: state)
    }

    static func group(_ name: String, memory: Int = 1024, vcpus: Int = 1, policy: GroupPolicy = GroupPolicy()) -> GroupDefinition {
        try! GroupDefinition(id: GroupID(name), resources: [.vm("\(name)-vm", memoryMiB: memory, vcpus: vcpus)], policy: policy)
    }

    static func at(_ seconds: Int64) -> Timestamp { Timestamp(milliseconds: seconds * 1000) }
}
