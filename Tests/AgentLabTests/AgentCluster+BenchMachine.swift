import BenchSupport

extension AgentCluster {
    /// The machine facts of a lab benchmark (bench/results/*.json), with the lab's accelerator probe.
    func benchMachine(load: [Double]) -> [String: Any] {
        BenchMachine.facts(accelerator: Accelerator.labProbe(labDirectory: lab.directory) ?? .device(), load: load)
    }
}
