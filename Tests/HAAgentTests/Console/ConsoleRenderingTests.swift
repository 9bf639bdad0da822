import AgentAPI
import XCTest
@testable import HAAgent

/// The console's templates: hostile names come out escaped, absent values absent, times as `<time>`.
final class ConsoleRenderingTests: XCTestCase {
    static let hostile = #"<script>alert("x")</script>&'"#

    private func clusterPage(_ status: ClusterStatus) throws -> String {
        let console = try ConsoleService(secret: nil, clientCertificates: false)
        var session = ConsoleSessionBook()
        let s = session.open(now: .wallClockNow) { [UInt8](repeating: 7, count: 32) }
        let values = ConsoleViews.cluster(status, events: DecisionPage(events: [], cursor: nil))
        return console.render("cluster", title: "Cluster", values, session: s)
    }

    private func status(group: String, move: MoveView? = nil, node: NodeView? = nil) -> ClusterStatus {
        ClusterStatus(leader: "h1", nodes: [node ?? NodeView(name: "h1", state: "up", member: true, memoryMiB: 4096, vcpus: 8, groups: [group])],
                      groups: [GroupView(name: group, status: "online", nodes: ["h1"], vms: [group], priority: "medium", move: move)],
                      alerts: [AlertView(severity: "warning", subject: group, message: "about \(group)")])
    }

    func testHostileNamesAreEscapedEverywhere() throws {
        let html = try clusterPage(status(group: Self.hostile))
        XCTAssertFalse(html.contains("<script>alert"), "a group name never becomes markup")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"))
        XCTAssertTrue(html.contains(#"href="/console/groups/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%26%27""#), "paths percent-encoded")
        XCTAssertFalse(html.contains("nil"), "absent values render as nothing")
        XCTAssertTrue(html.contains("<ul><li>&lt;script&gt;alert"), "the tree shows each group's VMs")
        XCTAssertTrue(html.contains(#"<script src="/console/console.js"></script>"#), "the one script, signed in")
        XCTAssertTrue(html.contains("Data read at <time datetime=\""), "the page says when its data was read")
        XCTAssertTrue(html.contains(#"<meta name="viewport""#))
    }

    func testMovesAndDrainsInFlightShowProgressBars() throws {
        let move = MoveView(id: "m1", group: "g1", method: "live", from: "h1", to: "h2", phase: "migrating", startedAt: 0, updatedAt: 1,
                            vms: [.init(name: "g1", dataTotal: 400, dataProcessed: 100)], steps: [])
        XCTAssertEqual(ConsoleViews.moveBar(move).percent, 25)
        var draining = NodeView(name: "h1", state: "draining", member: true, memoryMiB: 4096, vcpus: 8, groups: ["g3"])
        draining.drain = DrainView(startedAt: nil, deadline: "2026-01-01T00:00:00Z", outcome: nil, summary: nil, moved: ["g1", "g2"], left: [], failback: [])
        let html = try clusterPage(status(group: "g1", move: move, node: draining))
        XCTAssertTrue(html.contains(#"<progress value="100" max="400">25%</progress>"#), html)
        XCTAssertTrue(html.contains(#"<progress value="2" max="3">66%</progress>"#), "drain: 2 of 3 groups moved")
        let done = MoveView(id: "m0", group: "g1", method: "cold", from: "h1", to: "h2", phase: "done", startedAt: 0, updatedAt: 1, vms: [], steps: [])
        XCTAssertFalse(try clusterPage(status(group: "g1", move: done)).contains("<progress"), "a finished move is not in flight")
    }

    func testAGroupsVerificationShowsEachMoveAndStaysLiveWhileUnderWay() throws {
        let console = try ConsoleService(secret: nil, clientCertificates: false)
        let steps: [VerificationView.Step] = [.init(from: "h1", to: "h2", method: "live", seconds: 2.43, result: "ok", reason: nil),
                                              .init(from: "h2", to: "h3", method: "live", seconds: nil, result: "failed", reason: "no bridge <br0>")]
        let running = VerificationView(origin: "h1", startedAt: "2026-12-03T15:04:05.000Z", outcome: nil, failure: nil, steps: steps, pending: ["h3", "h1"])
        let html = console.render("group", title: "g", ["name": "g", "verification": ConsoleViews.verification(running)], session: nil)
        XCTAssertTrue(html.contains(#"<section id="verification" aria-labelledby="verification-title" data-live="yes">"#), html)
        XCTAssertTrue(html.contains(#"<span class="badge moving" id="verify-outcome">under way</span>"#), html)
        XCTAssertTrue(html.contains("<td>h1</td><td>h2</td><td>live</td><td>ok</td><td>2.4 s</td><td></td>"), html)
        XCTAssertTrue(html.contains("<td>failed</td><td></td><td>no bridge &lt;br0&gt;</td>"), "a failed move and why, escaped")
        XCTAssertTrue(html.contains("Still to visit: h3 → h1"))
        XCTAssertTrue(html.contains(#"<time datetime="2026-12-03T15:04:05.000Z">2026-12-03 15:04:05 UTC</time>"#))
        let ended = VerificationView(origin: "h1", startedAt: "2026-12-03T15:04:05.000Z", outcome: "failed", failure: "h3 could not host it",
                                     steps: steps, pending: [])
        let done = console.render("group", title: "g", ["name": "g", "verification": ConsoleViews.verification(ended)], session: nil)
        XCTAssertFalse(done.contains("data-live"), "an ended verification is not refreshed")
        XCTAssertTrue(done.contains(#"id="verify-outcome">failed</span> — h3 could not host it"#), done)
        XCTAssertFalse(done.contains("Still to visit"))
        XCTAssertFalse(console.render("group", title: "g", ["name": "g"], session: nil).contains("Verification</h2>"), "no verification, no section")
    }

    func testTheWizardsReportHasARowPerPossibleOwner() throws {
        let console = try ConsoleService(secret: nil, clientCertificates: false)
        func page(_ values: [String: Any?]) -> String {
            console.render("wizard", title: "w", values.merging(["checked": true]) { a, _ in a }, session: nil)
        }
        let report = WizardReport(warnings: ["VM v uses CPU mode host-model"], owners: [
            .init(node: "h1", problems: [], warnings: ["libvirt does not list its networks"]),
            .init(node: "h2", problems: ["has 512 MiB of memory for VMs; the VM needs 1024 MiB", "<no bridge br0>"], warnings: []),
        ])
        let refused = page(ConsoleViews.wizardReport(errors: ["VM v cannot run on every possible owner: h2: ..."], warnings: [],
                                                     report: report, members: ["ignored"]))
        XCTAssertTrue(refused.contains(#"<tr><th scope="row">h1</th><td class="ok">can host it</td>"#), refused)
        XCTAssertTrue(refused.contains(#"<td>none</td>"#), "h1 has no errors")
        XCTAssertTrue(refused.contains("<ul class=\"warning\"><li>libvirt does not list its networks</li></ul>"), "h1's own warning in its row")
        XCTAssertTrue(refused.contains(#"<tr><th scope="row">h2</th><td class="error">cannot host it</td>"#))
        XCTAssertTrue(refused.contains("<li>has 512 MiB of memory for VMs; the VM needs 1024 MiB</li><li>&lt;no bridge br0&gt;</li>"), "h2's errors, escaped")
        XCTAssertTrue(refused.contains(#"<ul class="warning" id="vm-warnings"><li>VM v uses CPU mode host-model</li>"#))
        XCTAssertFalse(refused.contains("vm-errors"), "the owners' errors are in their rows, not repeated as the VM's")
        XCTAssertFalse(refused.contains("ignored"), "the owners are the report's")

        let unloadable = page(ConsoleViews.wizardReport(errors: ["disk vda is not on shared storage"], warnings: [], report: nil, members: ["h2", "h1"]))
        XCTAssertTrue(unloadable.contains(#"<ul class="error" id="vm-errors"><li>disk vda is not on shared storage</li>"#), unloadable)
        XCTAssertTrue(unloadable.contains(#"<tr><th scope="row">h1</th><td class="hint">not checked until the errors of the VM itself are fixed</td>"#))
        XCTAssertTrue(unloadable.range(of: ">h1<")!.lowerBound < unloadable.range(of: ">h2<")!.lowerBound, "owners by name")
        XCTAssertEqual(ConsoleViews.wizardReport(errors: [], warnings: [], report: report, members: [])["hasErrors"] as? Bool, nil,
                       "a passing check is no error")
    }

    func testTimesShowUTCWithoutJavaScript() {
        let t = ConsoleViews.time("2026-12-03T15:04:05.123Z")
        XCTAssertEqual(t.utc, "2026-12-03 15:04:05 UTC")
        XCTAssertEqual(t.iso, "2026-12-03T15:04:05.123Z")
    }

    func testTheWizardsErrorBecomesOneLinePerProblem() {
        XCTAssertEqual(APIServer.problems("VM v cannot run on every possible owner: h2: no bridge br0; h3: CPU lacks avx"),
                       ["VM v cannot run on every possible owner: h2: no bridge br0", "VM v cannot run on every possible owner: h3: CPU lacks avx"])
        XCTAssertEqual(APIServer.problems("no such file"), ["no such file"])
    }
}
