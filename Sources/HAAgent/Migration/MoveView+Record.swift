import AgentAPI
import ClusterSchema
import HACore

extension MoveView {
    /// The API's view of a stored move record.
    init(_ record: MoveRecord) {
        func seconds(_ t: Timestamp) -> Double { Double(t.milliseconds) / 1000 }
        self.init(id: record.id, group: record.group.rawValue, method: record.method.rawValue, from: record.from.rawValue,
                  to: record.to.rawValue, phase: record.phase.rawValue, startedAt: seconds(record.startedAt),
                  updatedAt: seconds(record.updatedAt),
                  vms: record.vms.keys.sorted().map { name in
                      let vm = record.vms[name]!
                      return MoveView.VM(name: name, rung: vm.rung?.rawValue, progress: vm.progress?.summary, image: vm.image?.path,
                                         bytesProcessed: vm.progress?.dataProcessed, bytesTotal: vm.progress?.dataTotal)
                  },
                  steps: record.steps.map {
                      MoveView.Step(at: seconds($0.at), node: $0.node.rawValue, vm: $0.vm, what: $0.what, reason: $0.reason)
                  })
    }
}
