import HACore
import XCTest
@testable import HAAgent

/// The agent's metrics through swift-metrics into its Prometheus registry: what `/metrics` shows.
final class AgentMetricsTests: XCTestCase {
    private func node(_ id: NodeID) -> Node { Node(id: id, capacity: NodeCapacity(memoryMiB: 4096, vcpus: 4)) }
    private func at(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: ms) }

    /// A coordinator with group g online on h1, and the leader's metrics watching it from the start.
    private func running(_ metrics: AgentMetrics) throws -> ClusterCoordinator {
        var c = ClusterCoordinator(configuration: CoordinatorConfiguration(fencingMargin: .seconds(2)),
                                   nodes: [node("h1"), node("h2")],
                                   groups: [try GroupDefinition(id: "g", resources: [.vm("g", memoryMiB: 128, vcpus: 1)],
                                                                policy: GroupPolicy(preferredOwners: ["h1"]))])
        metrics.leader(true, at: .zero)
        metrics.clusterView(c)
        _ = c.handle(.timerFired, at: at(0))
        _ = c.handle(.groupOnline("g", on: "h1"), at: at(500))
        metrics.clusterView(c)
        return c
    }

    /// h1's lease is lost at 10 s: fenced by the margin at 12 s, started on h2, online at 13.2 s,
    /// its guest answering a probe at 15 s. Each step is shown to the metrics as the leader does.
    private func recover(_ c: inout ClusterCoordinator, _ metrics: AgentMetrics) {
        for (event, ms) in [(ClusterEvent.leaseLost("h1"), Int64(10_000)), (.timerFired, 12_000),
                            (.groupOnline("g", on: "h2"), 13_200), (.guestsAlive("g", on: "h2"), 15_000)] {
            _ = c.handle(event, at: at(ms))
            metrics.clusterView(c)
        }
    }

    func testARecoveryIsExportedAsOneSamplePerPhase() throws {
        let metrics = AgentMetrics()
        var c = try running(metrics)
        recover(&c, metrics)
        metrics.clusterView(c)  // a later view of the same recovery adds nothing
        let text = metrics.render()
        for (name, seconds) in [("fence", 2.0), ("start", 2.0), ("online", 3.2), ("first_probe", 5.0)] {
            XCTAssertTrue(text.contains("vigil_recovery_\(name)_seconds_count{proof=\"lease\"} 1\n"), "\(name)\n\(text)")
            XCTAssertTrue(text.contains("vigil_recovery_\(name)_seconds_sum{proof=\"lease\"} \(seconds)\n"), "\(name)\n\(text)")
        }
        XCTAssertTrue(text.contains("vigil_recovery_online_seconds_bucket{proof=\"lease\",le=\"3.0\"} 0\n"), text)
        XCTAssertTrue(text.contains("vigil_recovery_online_seconds_bucket{proof=\"lease\",le=\"4.0\"} 1\n"), text)
        XCTAssertTrue(text.contains("vigil_group_status{group=\"g\",state=\"online\"} 1"), text)
        XCTAssertTrue(text.contains("vigil_group_status{group=\"g\",state=\"failed\"} 0"), text)
    }

    func testANewLeaderDoesNotCountARecoveryItFindsDoneButCountsThePhasesLeft() throws {
        let before = AgentMetrics()
        var c = try running(before)
        for (event, ms) in [(ClusterEvent.leaseLost("h1"), Int64(10_000)), (.timerFired, 12_000)] { _ = c.handle(event, at: at(ms)) }
        // Leadership moves here mid-recovery: fence and start happened under the old leader.
        let after = AgentMetrics()
        after.leader(true, at: at(12_500))
        after.clusterView(c)
        _ = c.handle(.groupOnline("g", on: "h2"), at: at(13_200))
        after.clusterView(c)
        let text = after.render()
        XCTAssertFalse(text.contains("vigil_recovery_fence_seconds_count"), text)
        XCTAssertTrue(text.contains("vigil_recovery_online_seconds_count{proof=\"lease\"} 1\n"), text)
    }

    func testANewLeaderCountsWholeARecoveryFencedSinceItLeads() throws {
        let before = AgentMetrics()
        var c = try running(before)
        _ = c.handle(.leaseLost("h1"), at: at(10_000))
        // Leading from 11 s (it fenced the old leader itself): the fence at 12 s is its own.
        let after = AgentMetrics()
        after.leader(true, at: at(11_000))
        _ = c.handle(.timerFired, at: at(12_000))
        after.clusterView(c)
        XCTAssertTrue(after.render().contains("vigil_recovery_fence_seconds_count{proof=\"lease\"} 1\n"), after.render())
    }

    func testUnlabelledCountersReadZeroAndRemovedNodesLeaveThePage() throws {
        let metrics = AgentMetrics()
        XCTAssertTrue(metrics.render().contains("vigil_failovers_total 0\n"), metrics.render())
        XCTAssertTrue(metrics.render().contains("vigil_leader 0"), metrics.render())
        var c = try running(metrics)
        XCTAssertTrue(metrics.render().contains("vigil_node_state{node=\"h2\",state=\"up\"} 1"))
        let smaller = ClusterCoordinator(nodes: [node("h1")], groups: [])
        metrics.clusterView(smaller)
        XCTAssertFalse(metrics.render().contains("node=\"h2\""), metrics.render())
        XCTAssertFalse(metrics.render().contains("group=\"g\""), metrics.render())
        recover(&c, metrics)
        XCTAssertTrue(metrics.render().contains("vigil_node_state{node=\"h2\",state=\"up\"} 1"))
    }
}
