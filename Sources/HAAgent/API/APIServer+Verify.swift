import AgentAPI
import HACore
import Hummingbird

/// Verifications through the API (`vigil verify`): the request, refused here with the coordinator's
/// own reason before the leader sees it (nothing stored), and its abort; the status shows its steps.
extension APIServer {
    func addVerifyRoutes(_ router: Router<APIRequestContext>) {
        router.post("v1/groups/:group/verify") { _, context in
            APIResponse.json(try await self.requestVerify(GroupID(try Self.name("group", as: "group", context))), status: .accepted)
        }
        router.post("v1/groups/:group/abort-verify") { _, context in
            APIResponse.json(try await self.abortVerify(GroupID(try Self.name("group", as: "group", context))), status: .accepted)
        }
    }

    /// Asks the leader to verify `g`, unless the leader's last stored view says it would refuse.
    func requestVerify(_ g: GroupID) async throws -> Accepted {
        guard try await groupSpecs()[g] != nil else { throw APIError("no group named \(g)") }
        guard let coordinator = try await storedCoordinator() else { throw APIError("no leader has stored the cluster state yet") }
        if let why = coordinator.verificationRefusal(g) { throw APIError("cannot verify \(g): \(why)") }
        try await send(.verifyRequested(g))
        return Accepted("verify of \(g) requested")
    }

    func abortVerify(_ g: GroupID) async throws -> Accepted {
        guard try await groupSpecs()[g] != nil else { throw APIError("no group named \(g)") }
        guard let v = try await storedCoordinator()?.states[g]?.verification, !v.ended else {
            throw APIError("no verification of \(g) is under way")
        }
        try await send(.verifyAborted(g))
        return Accepted("abort of the verify of \(g) requested")
    }
}

extension VerificationView {
    /// The API's view of a group's verification.
    init(_ v: Verification) {
        self.init(origin: v.origin.rawValue, startedAt: APIServer.iso8601(v.startedAt), outcome: v.outcome?.rawValue, failure: v.failure,
                  steps: v.steps.map { s in
                      .init(from: s.from.rawValue, to: s.target.rawValue, method: s.method?.rawValue,
                            seconds: s.endedAt.map { Double(($0 - s.startedAt).milliseconds) / 1000 },
                            result: s.endedAt == nil ? "moving" : s.worked ? "ok" : "failed", reason: s.failure)
                  },
                  pending: v.pending.map(\.rawValue))
    }
}
