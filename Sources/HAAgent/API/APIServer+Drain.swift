import AgentAPI
import ClusterSchema
import HACore

/// Drains through the API: the request with its deadline, the resume with failback, and the dry
/// run, whose estimates use the rates measured on the moves the store records.
extension APIServer {
    /// What a drain of `n` would do now, from the leader's last stored view.
    func drainPlan(_ n: NodeID) async throws -> DrainPlanView {
        guard let coordinator = try await storedCoordinator() else { throw APIError("no leader has stored the cluster state yet") }
        guard coordinator.nodes[n] != nil else { throw APIError("no node named \(n)") }
        let definitions = coordinator.definitions
        let measured = MoveRecord.rates(try await store.read(ClusterKeys.moves).values) { definitions[$0]?.memoryMiB }
        let rates = Dictionary(uniqueKeysWithValues: MoveMethod.allCases.map { ($0, measured[$0] ?? .assumed) })
        let plan = coordinator.drainPlan(of: n, rates: rates)
        func seconds(_ span: TimeSpan?) -> Double? { span.map { Double($0.milliseconds) / 1000 } }
        return DrainPlanView(
            node: n.rawValue, refusal: plan.refusal,
            moves: plan.moves.map {
                .init(group: $0.group.rawValue, memoryMiB: $0.memoryMiB, target: $0.target?.rawValue, method: $0.method?.rawValue,
                      estimatedSeconds: seconds($0.estimate), reason: $0.reason)
            },
            concurrency: plan.concurrency, estimatedSeconds: seconds(plan.estimatedTotal),
            rates: Set(plan.moves.compactMap(\.method)).sorted().map {
                .init(method: $0.rawValue, mebibytesPerSecond: rates[$0]!.mebibytesPerSecond, measuredOn: rates[$0]!.samples)
            },
            toleratesNow: plan.toleratesNow, toleratesAfter: plan.toleratesAfter)
    }

    /// The drain request's deadline, checked here so that a bad one is refused before the leader sees it.
    static func drainDeadline(_ request: NodeRequest) throws -> TimeSpan? {
        guard let text = request.deadline else { return nil }
        let span: TimeSpan
        do { span = try TimeSpan(text: text) } catch { throw APIError("bad deadline '\(text)': \(error.description)") }
        guard span > .zero else { throw APIError("bad deadline '\(text)': it must be longer than 0s") }
        return span
    }
}

extension DrainView {
    /// The API's view of a node's drain record.
    init(_ record: DrainRecord) {
        self.init(startedAt: record.startedAt.map(APIServer.iso8601), deadline: APIServer.iso8601(record.deadline),
                  outcome: record.outcome?.rawValue, summary: record.summary, moved: record.movedOff.map(\.rawValue),
                  left: record.left.sorted { $0.key < $1.key }.map { .init(group: $0.key.rawValue, reason: $0.value) },
                  failback: record.failback.map(\.rawValue))
    }
}
