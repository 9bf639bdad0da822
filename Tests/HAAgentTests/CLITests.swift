import AgentAPI
import EtcdTestSupport
import Foundation
import LabSupport
import Libvirt
import XCTest
@testable import HAAgent

/// The `vigil` CLI as an operator runs it, against a whole agent in this process.
final class CLITests: XCTestCase {
    private var vigil: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vigil").path
    }

    /// A running agent with a leader, once the `vigil` binary is known to be built.
    private func startedAgent(etcdEndpoints: [String] = []) async throws -> AgentHarness {
        guard FileManager.default.isExecutableFile(atPath: vigil) else {
            XCTFail("no vigil binary at \(vigil): run swift build first")
            throw CancellationError()
        }
        let h = try AgentHarness(etcdEndpoints: etcdEndpoints)
        h.start()
        do { try await h.waitForAPI() } catch {
            await h.stop()
            throw error
        }
        return h
    }

    private func run(_ h: AgentHarness, _ arguments: String...) throws -> (status: Int32, out: String, err: String) {
        try LabScript.execute([vigil] + arguments + ["--socket", h.configuration.api.socket])
    }

    func testStatusVMAddAndErrorsThroughTheCLI() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let vm = "cli-\(UUID().uuidString.prefix(6).lowercased())"
        let checked = try run(h, "vm", "add", vm, "--xml", try h.writeDomain(vm), "--check")
        XCTAssertEqual(checked.status, 0, checked.err)
        XCTAssertEqual(checked.out.trimmingCharacters(in: .whitespacesAndNewlines),
                       "VM \(vm) passes every check (its disks and backing files on shared storage; possible owners solo can host it); it would join group \(vm)")
        let notStored = try await h.status().groups.map(\.name)
        XCTAssertFalse(notStored.contains(vm), "--check makes nothing highly available")
        let added = try run(h, "vm", "add", vm, "--xml", try h.writeDomain(vm), "--priority", "high", "--restart", "2/10m")
        XCTAssertEqual(added.status, 0, added.err)
        XCTAssertEqual(added.out.trimmingCharacters(in: .whitespacesAndNewlines), "VM \(vm) is highly available in group \(vm)")
        try await h.waitUntil("\(vm) online") { try await h.status().groups.first { $0.name == vm }?.status == "online" }

        let json = try run(h, "status", "--output", "json")
        XCTAssertEqual(json.status, 0, json.err)
        let status = try JSONDecoder().decode(ClusterStatus.self, from: Data(json.out.utf8))
        XCTAssertEqual(status.groups.first { $0.name == vm }?.priority, "high")
        let text = try run(h, "status")
        XCTAssertTrue(text.out.contains("leader: solo") && text.out.contains(vm), text.out)

        let shown = try run(h, "group", "policy", vm)
        XCTAssertEqual(shown.out.trimmingCharacters(in: .whitespacesAndNewlines),
                       "group \(vm): priority=high preferred=none possible=all restart=2/10m failover=2/6h failback=never anti-affinity=none paused=auto-resume")
        let changed = try run(h, "group", "policy", vm, "--failback", "window:1-5", "--preferred", "solo", "--anti-affinity", "sql,web")
        XCTAssertEqual(changed.status, 0, changed.err)
        XCTAssertTrue(changed.out.contains("preferred=solo possible=all restart=2/10m failover=2/6h failback=window:1-5 anti-affinity=sql,web"), changed.out)
        let cleared = try run(h, "group", "policy", vm, "--preferred", "none", "--anti-affinity", "none")
        XCTAssertTrue(cleared.out.contains("preferred=none") && cleared.out.contains("anti-affinity=none"), cleared.out)
        let bad = try run(h, "group", "policy", vm, "--failover", "often")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("bad threshold 'often'"), bad.err)
        let paused = try run(h, "group", "policy", vm, "--paused", "power-off")
        XCTAssertTrue(paused.out.hasSuffix("paused=power-off\n"), paused.out + paused.err)
        let badPaused = try run(h, "group", "policy", vm, "--paused", "resume")
        XCTAssertEqual(badPaused.status, 1)
        XCTAssertTrue(badPaused.err.contains("bad paused-guest behaviour 'resume'"), badPaused.err)

        let missing = try run(h, "group", "move", "nosuch")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("no group named nosuch"), missing.err)
        let badAction = try run(h, "node", "explode", "solo")
        XCTAssertEqual(badAction.status, 2, "an unknown verb is a usage error")
        XCTAssertTrue(badAction.err.contains("Usage: vigil node <subcommand>"), badAction.err)
        let capacity = try run(h, "capacity", "--failures", "1")
        XCTAssertTrue(capacity.out.hasPrefix("no: losing 1 node(s)"), "one node cannot lose a node: \(capacity.out)")
        let noAgent = try LabScript.execute([vigil, "status", "--socket", h.directory + "/nothing.sock"])
        XCTAssertTrue(noAgent.err.contains("cannot reach the Vigil agent"), noAgent.err)
        XCTAssertEqual(noAgent.status, 4, "no agent: exit status 4")
        await h.stop()
    }

    /// Every NOUN VERB command in text and JSON, the wizard alone, what-if capacity, the waits of
    /// move and drain, and the documented exit statuses.
    func testNounVerbCommandsJSONWaitsAndExitStatuses() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let version = try LabScript.execute([vigil, "--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.out.trimmingCharacters(in: .whitespacesAndNewlines), VigilVersion.current)
        let help = try LabScript.execute([vigil, "--help"])
        XCTAssertEqual(help.status, 0, help.err)
        for line in ["0  done", "1  the agent refused", "2  the command line is wrong", "3  done only in part", "4  no agent answered"] {
            XCTAssertTrue(help.out.contains(line), "vigil --help documents exit status '\(line)': \(help.out)")
        }

        // The wizard alone: a good file passes (the domain's name read from the XML), a bad one is refused naming the disk.
        let vm = "nv-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        let xml = try h.writeDomain(vm)
        let valid = try run(h, "vm", "validate", xml)
        XCTAssertEqual(valid.status, 0, valid.err)
        XCTAssertTrue(valid.out.contains("VM \(vm) passes every check"), valid.out)
        let bad = "\(h.directory)/shared/vms/bad.xml"
        try String(contentsOfFile: xml, encoding: .utf8).replacingOccurrences(of: "\(h.directory)/shared/vms/\(vm).img", with: "/var/tmp/off-shared.img")
            .replacingOccurrences(of: "<name>\(vm)</name>", with: "<name>bad-\(vm)</name>").write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try run(h, "vm", "validate", bad)
        XCTAssertEqual(refused.status, 1, "a VM the wizard refuses: exit status 1")
        XCTAssertTrue(refused.err.contains("/var/tmp/off-shared.img"), "the report names the disk off shared storage: \(refused.err)")
        let afterRefusal = try await h.status()
        XCTAssertNil(afterRefusal.group("bad-\(vm)"), "the wizard alone stores nothing")

        // A noAutoStart VM added without naming the domain; `group move` starts it and waits until it is online.
        let added = try run(h, "vm", "add", "--xml", xml, "--priority", "noAutoStart")
        XCTAssertEqual(added.status, 0, added.err)
        let started = try run(h, "group", "move", vm, "--timeout", "30")
        XCTAssertEqual(started.status, 0, started.err)
        XCTAssertTrue(started.out.contains("\(vm) is online on solo"), "move waits until the group is online: \(started.out)")
        let afterStart = try await h.status()
        XCTAssertEqual(afterStart.group(vm)?.status, "online")

        // list and show, text and JSON (the API's own types).
        let vms = try JSONDecoder().decode([VMView].self, from: Data(try run(h, "vm", "list", "--output", "json").out.utf8))
        XCTAssertEqual(vms.first { $0.name == vm }, VMView(name: vm, group: vm, status: "online", nodes: ["solo"]))
        let shownVM = try run(h, "vm", "show", vm).out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(shownVM.contains(["group:", vm]), "\(shownVM)")
        let group = try JSONDecoder().decode(GroupView.self, from: Data(try run(h, "group", "show", vm, "--output", "json").out.utf8))
        XCTAssertEqual(group.vms, [vm])
        XCTAssertTrue(try run(h, "group", "list").out.contains(vm))
        let node = try JSONDecoder().decode(NodeView.self, from: Data(try run(h, "node", "show", "solo", "--output", "json").out.utf8))
        XCTAssertEqual(node.groups, [vm])
        XCTAssertTrue(try run(h, "node", "list").out.contains("solo"))
        for (noun, name) in [("vm", "nosuch"), ("group", "nosuch"), ("node", "nosuch")] {
            let missing = try run(h, noun, "show", name)
            XCTAssertEqual(missing.status, 1, "\(noun) show of an unknown name")
            XCTAssertTrue(missing.err.contains("no \(noun == "vm" ? "VM" : noun) named nosuch"), missing.err)
        }
        XCTAssertEqual(try run(h, "group", "list", "--output", "yaml").status, 2, "a bad option value is a usage error")

        // What-if: with the only node failed, the group (no longer noAutoStart) finds no room.
        XCTAssertEqual(try run(h, "group", "policy", vm, "--priority", "high").status, 0)
        let whatIf = try JSONDecoder().decode(CapacityReport.self, from: Data(try run(h, "capacity", "--fail", "solo", "--output", "json").out.utf8))
        XCTAssertEqual(whatIf.whatIf?.failing, ["solo"])
        XCTAssertNotNil(whatIf.whatIf?.unplaced[vm], "\(String(describing: whatIf.whatIf))")
        XCTAssertTrue(try run(h, "capacity", "--fail", "solo").out.contains("\(vm): no room"))
        XCTAssertEqual(try run(h, "capacity", "--fail", "nosuch").status, 1)

        // Waits that cannot finish on one node end with status 3, and the operation stays requested.
        let refusedMove = try run(h, "group", "move", vm, "--timeout", "20")
        XCTAssertEqual(refusedMove.status, 1, "a move the leader refuses fails at once (\(refusedMove.out) \(refusedMove.err))")
        XCTAssertTrue(refusedMove.err.contains("move of \(vm) refused: no node can take"), refusedMove.err)
        let drain = try run(h, "node", "drain", "solo", "--timeout", "3")
        XCTAssertEqual(drain.status, 3, "a drain that cannot empty the node: done only in part (\(drain.out) \(drain.err))")
        XCTAssertTrue(drain.out.contains("\(vm): online on solo"), "the drain prints the groups still on the node: \(drain.out)")
        // No node can take its group: the drain ends incomplete (no retry loop) and leaves solo paused.
        try await h.waitUntil("solo paused, its drain incomplete") { try await h.status().node("solo")?.state == "paused" }
        let resumed = try run(h, "node", "resume", "solo")
        XCTAssertEqual(resumed.status, 0, resumed.err)
        try await h.waitUntil("solo up") { try await h.status().node("solo")?.state == "up" }
        let noWait = try run(h, "node", "drain", "solo", "--no-wait")
        XCTAssertEqual(noWait.status, 0, noWait.err)
        XCTAssertEqual(noWait.out.trimmingCharacters(in: .whitespacesAndNewlines), "drain of solo requested")
        await h.stop()
    }

    /// An agent that runs but whose store does not answer (its etcd is gone): exit status 4, with the
    /// agent's reason.
    func testAnAgentWithoutAWorkingStoreEndsWithStatus4() async throws {
        let etcd = try await EtcdCluster(size: 1)
        defer { etcd.stop() }
        let h = try await startedAgent(etcdEndpoints: etcd.endpoints)
        defer { Task { await h.stop() } }
        XCTAssertEqual(try run(h, "status").status, 0)
        etcd.kill(0)
        let noStore = try run(h, "node", "list")
        XCTAssertEqual(noStore.status, 4, "no working store: exit status 4 (\(noStore.out) \(noStore.err))")
        XCTAssertTrue(noStore.err.hasPrefix("vigil: "), noStore.err)
        await h.stop()
    }

    /// `vm edit` (editor and --xml) replaces the configuration through the wizard, keeps the previous
    /// revision, updates the demand and leaves the running domain alone; a bad edit changes nothing;
    /// `vm remove` ends HA and the domain keeps running.
    func testVMEditThroughTheWizardAndVMRemoveLeavesTheGuestRunning() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let vm = "ed-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        try await h.addOnline(vm)
        let path = "\(h.directory)/shared/vms/\(vm).xml"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        func freeMemory() throws -> Int? {
            let report = try JSONDecoder().decode(CapacityReport.self, from: Data(try run(h, "capacity", "--output", "json").out.utf8))
            return report.headroom["solo"]?["freeMemoryMiB"]
        }
        let freeBefore = try XCTUnwrap(try freeMemory())

        // In the editor ($EDITOR is a sed that doubles the memory).
        let editor = "\(h.directory)/editor"
        try "#!/bin/sh\nsed -i 's/>128</>256</' \"$1\"\n".write(toFile: editor, atomically: true, encoding: .utf8)
        chmod(editor, 0o755)
        let edited = try LabScript.execute(["/usr/bin/env", "EDITOR=\(editor)", vigil, "vm", "edit", vm, "--socket", h.configuration.api.socket])
        XCTAssertEqual(edited.status, 0, edited.err)
        XCTAssertTrue(edited.out.contains("demand 256 MiB, 1 vCPUs"), edited.out)
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).contains("<memory unit='MiB'>256</memory>"))
        XCTAssertEqual(try String(contentsOfFile: path + ".prev", encoding: .utf8), original, "the previous revision is kept")
        try await h.waitUntil("the new demand counted for placement") { try freeMemory() == freeBefore - 128 }
        XCTAssertTrue(try Connection(uri: "test:///default").lookup(name: vm).isActive(), "the running domain is left alone")
        let unchanged = try LabScript.execute(["/usr/bin/env", "EDITOR=true", vigil, "vm", "edit", vm, "--socket", h.configuration.api.socket])
        XCTAssertEqual(unchanged.out.trimmingCharacters(in: .whitespacesAndNewlines), "VM \(vm): no change")

        // Refused edits (a disk off shared storage, a new UUID) change nothing.
        let current = try String(contentsOfFile: path, encoding: .utf8)
        let offShared = "\(h.directory)/off-shared.xml"
        try current.replacingOccurrences(of: "\(h.directory)/shared/vms/\(vm).img", with: "/var/tmp/off-shared.img")
            .write(toFile: offShared, atomically: true, encoding: .utf8)
        let refused = try run(h, "vm", "edit", vm, "--xml", offShared)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.err.contains("is unchanged") && refused.err.contains("/var/tmp/off-shared.img"), refused.err)
        let newUUID = "\(h.directory)/new-uuid.xml"
        let uuid = try XCTUnwrap(current.range(of: "(?<=<uuid>)[^<]+", options: .regularExpression))
        try current.replacingCharacters(in: uuid, with: UUID().uuidString.lowercased()).write(toFile: newUUID, atomically: true, encoding: .utf8)
        let renumbered = try run(h, "vm", "edit", vm, "--xml", newUUID)
        XCTAssertEqual(renumbered.status, 1)
        XCTAssertTrue(renumbered.err.contains("changes its UUID"), renumbered.err)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), current, "a refused edit leaves the file as it was")
        XCTAssertEqual(try run(h, "vm", "edit", "nosuch", "--xml", newUUID).status, 1)

        // vm remove: no longer HA, and the domain keeps running.
        let removed = try run(h, "vm", "remove", vm)
        XCTAssertEqual(removed.status, 0, removed.err)
        XCTAssertTrue(removed.out.contains("it keeps running on solo") && removed.out.contains("group \(vm) ended with it"), removed.out)
        let after = try await h.status()
        XCTAssertNil(after.vm(vm))
        try await Task.sleep(for: .seconds(2))  // two reconciles of the agent: it must not stop what is no longer HA
        XCTAssertTrue(try Connection(uri: "test:///default").lookup(name: vm).isActive(), "vm remove leaves the guest running")
        await h.stop()
    }

    /// Every decision is recorded with its trigger and reason; `events` filters them, `--follow`
    /// prints new ones as they are made, and `group show` lists the group's last ones.
    func testEventsRecordDecisionsAndFollowShowsNewOnes() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let first = "ev-\(UUID().uuidString.prefix(6).lowercased())", second = first + "-b"
        defer { AgentHarness.remove(first); AgentHarness.remove(second) }
        try await h.addOnline(first)

        let listed = try run(h, "events", "--group", first, "--output", "json")
        XCTAssertEqual(listed.status, 0, listed.err)
        let events = try JSONDecoder().decode([DecisionView].self, from: Data(listed.out.utf8))
        let placed = try XCTUnwrap(events.first { $0.kind == "bring-online" }, "\(events)")
        XCTAssertEqual(placed.group, first)
        XCTAssertEqual(placed.nodes.first, "solo")
        XCTAssertFalse(placed.reason.isEmpty)
        XCTAssertTrue(events.allSatisfy { $0.group == first }, "--group filters")
        let none = try JSONDecoder().decode([DecisionView].self, from: Data(try run(h, "events", "--node", "nosuch", "--output", "json").out.utf8))
        XCTAssertEqual(none, [], "--node filters")
        XCTAssertTrue(try run(h, "events", "--since", "1h").out.contains("bring-online  \(first) solo"))
        XCTAssertEqual(try run(h, "events", "--since", "yesterday").status, 2, "a malformed --since is a usage error")
        let shown = try run(h, "group", "show", first)
        XCTAssertTrue(shown.out.contains("last decisions:") && shown.out.contains("bring-online  \(first) solo"), shown.out)

        // --follow prints the next group's placement as it is decided: as text, and as NDJSON.
        func follow(_ extra: [String]) throws -> (Process, Pipe, LockedText) {
            let follower = Process()
            follower.executableURL = URL(fileURLWithPath: vigil)
            follower.arguments = ["events", "--follow", "--group", second, "--socket", h.configuration.api.socket] + extra
            let pipe = Pipe()
            follower.standardOutput = pipe
            let seen = LockedText()
            pipe.fileHandleForReading.readabilityHandler = { seen.append(String(decoding: $0.availableData, as: UTF8.self)) }
            try follower.run()
            return (follower, pipe, seen)
        }
        let (text, textPipe, seenText) = try follow([])
        let (json, jsonPipe, seenJSON) = try follow(["--output", "json"])
        defer { for p in [text, json] where p.isRunning { p.terminate() } }
        try await Task.sleep(for: .milliseconds(500))
        try await h.addOnline(second)
        try await h.waitUntil("events --follow prints the placement of \(second)") { seenText.text.contains("bring-online  \(second) solo") }
        try await h.waitUntil("events --follow --output json prints it as one JSON line") {
            seenJSON.text.split(separator: "\n").contains { line in
                (try? JSONDecoder().decode(DecisionView.self, from: Data(line.utf8))).map { $0.kind == "bring-online" && $0.group == second } ?? false
            }
        }
        XCTAssertTrue(seenJSON.text.split(separator: "\n").allSatisfy { (try? JSONDecoder().decode(DecisionView.self, from: Data($0.utf8))) != nil },
                      "every line is one decision: \(seenJSON.text)")
        for pipe in [textPipe, jsonPipe] { pipe.fileHandleForReading.readabilityHandler = nil }
        text.terminate()
        json.terminate()
        await h.stop()
    }

    /// `group stop` takes a group offline and it stays offline (nothing restarts it), `group start`
    /// brings it back, both wait by default; refusals end with status 1; `group remove` then takes a
    /// stopped group. Every outcome is a decision record.
    func testGroupStopKeepsItOfflineUntilGroupStart() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let vm = "st-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        try await h.addOnline(vm)
        func running() -> Bool { (try? Connection(uri: "test:///default").lookup(name: vm).isActive()) ?? false }
        XCTAssertTrue(running())

        let stopped = try run(h, "group", "stop", vm, "--timeout", "30")
        XCTAssertEqual(stopped.status, 0, stopped.err)
        XCTAssertTrue(stopped.out.hasPrefix("stop of \(vm) requested"), stopped.out)
        XCTAssertTrue(stopped.out.contains("\(vm) is stopped; it stays offline until vigil group start \(vm)"), stopped.out)
        XCTAssertFalse(running(), "the VM is shut down on its owner")
        try await Task.sleep(for: .seconds(2))  // two reconciles of the agent and the leader's timers: nothing starts it again
        let afterWhile = try await h.status()
        XCTAssertEqual(afterWhile.group(vm)?.status, "stopped")
        XCTAssertFalse(running())
        let shown = try JSONDecoder().decode(GroupView.self, from: Data(try run(h, "group", "show", vm, "--output", "json").out.utf8))
        XCTAssertEqual(shown.status, "stopped")
        XCTAssertEqual(shown.nodes, [])
        let again = try run(h, "group", "stop", vm, "--output", "json")
        XCTAssertEqual(again.status, 0, "stopping a stopped group is no error: \(again.err)")
        XCTAssertEqual(try JSONDecoder().decode(GroupView.self, from: Data(again.out.utf8)).status, "stopped", "JSON prints the group at the end")

        let events = try JSONDecoder().decode([DecisionView].self, from: Data(try run(h, "events", "--group", vm, "--output", "json").out.utf8))
        XCTAssertTrue(events.contains { $0.kind == "take-offline" && $0.trigger == "stop-requested \(vm)" && $0.reason.hasPrefix("operator stopped \(vm)") }, "\(events)")
        XCTAssertTrue(events.contains { $0.kind == "alert" && $0.reason.hasPrefix("\(vm) is stopped: offline on solo") }, "\(events)")

        let moved = try run(h, "group", "move", vm, "--timeout", "20")
        XCTAssertEqual(moved.status, 1, "a stopped group is started, not moved: \(moved.out)")
        XCTAssertTrue(moved.err.contains("it is stopped by an operator; start it with vigil group start"), moved.err)
        let unknownNode = try run(h, "group", "start", vm, "--node", "nosuch")
        XCTAssertEqual(unknownNode.status, 1)
        XCTAssertTrue(unknownNode.err.contains("no node named nosuch"), unknownNode.err)
        for verb in ["stop", "start"] {
            let missing = try run(h, "group", verb, "nosuch")
            XCTAssertEqual(missing.status, 1)
            XCTAssertTrue(missing.err.contains("no group named nosuch"), missing.err)
        }

        let started = try run(h, "group", "start", vm, "--node", "solo", "--timeout", "30")
        XCTAssertEqual(started.status, 0, started.err)
        XCTAssertTrue(started.out.contains("\(vm) is online on solo"), started.out)
        XCTAssertTrue(running())
        let notStopped = try run(h, "group", "start", vm, "--timeout", "20")
        XCTAssertEqual(notStopped.status, 1, "a group that is not stopped cannot be started: \(notStopped.out)")
        XCTAssertTrue(notStopped.err.contains("start of \(vm) refused: it is not stopped"), notStopped.err)

        let refusedRemove = try run(h, "group", "remove", vm)
        XCTAssertEqual(refusedRemove.status, 1)
        XCTAssertTrue(refusedRemove.err.contains("stop it first (vigil group stop \(vm))"), refusedRemove.err)
        let noWait = try run(h, "group", "stop", vm, "--no-wait")
        XCTAssertEqual(noWait.status, 0, noWait.err)
        XCTAssertEqual(noWait.out.trimmingCharacters(in: .whitespacesAndNewlines), "stop of \(vm) requested")
        try await h.waitUntil("\(vm) stopped") { try await h.status().group(vm)?.status == "stopped" }
        let removed = try run(h, "group", "remove", vm)
        XCTAssertEqual(removed.status, 0, removed.err)
        let afterRemove = try await h.status()
        XCTAssertNil(afterRemove.group(vm))
        await h.stop()
    }

    /// `node reserve` makes a hot spare: shown by `node show`/`list`, counted by `capacity` (N+x with
    /// reserve hosts), used when no other node can take a group; `node unreserve` ends it.
    func testNodeReserveIsShownCountedAndUsedOnlyWithoutOtherRoom() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let vm = "rs-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        let reserved = try run(h, "node", "reserve", "solo")
        XCTAssertEqual(reserved.status, 0, reserved.err)
        XCTAssertEqual(reserved.out.trimmingCharacters(in: .whitespacesAndNewlines), "reserve of solo requested")
        try await h.waitUntil("solo reserved") { try await h.status().node("solo")?.reserved == true }
        XCTAssertTrue(try run(h, "node", "show", "solo").out.contains("yes (takes groups only when no other node can)"))
        let node = try JSONDecoder().decode(NodeView.self, from: Data(try run(h, "node", "show", "solo", "--output", "json").out.utf8))
        XCTAssertEqual(node.reserved, true)

        // The only node: the spare takes the group, and the decision says why.
        try await h.addOnline(vm)
        let events = try JSONDecoder().decode([DecisionView].self, from: Data(try run(h, "events", "--group", vm, "--output", "json").out.utf8))
        let placed = try XCTUnwrap(events.first { $0.kind == "bring-online" })
        XCTAssertTrue(placed.reason.hasSuffix("a reserve host: no other node can take it"), placed.reason)

        let capacity = try JSONDecoder().decode(CapacityReport.self, from: Data(try run(h, "capacity", "--output", "json").out.utf8))
        XCTAssertEqual(capacity.tolerates, 0)
        XCTAssertEqual(capacity.reserveHosts, ["solo"])
        XCTAssertTrue(try run(h, "capacity").out.contains("cluster as configured: N+0 (reserve hosts included: solo)"))

        let unknown = try run(h, "node", "reserve", "nosuch")
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.err.contains("no node named nosuch"), unknown.err)
        XCTAssertEqual(try run(h, "node", "unreserve", "solo").status, 0)
        try await h.waitUntil("solo no longer reserved") { try await h.status().node("solo")?.reserved == false }
        await h.stop()
    }

    /// `status` as crm_mon shows it: quorum and leader, node use, group budgets, and alerts.
    func testStatusShowsCapacityUseBudgetsAndAlerts() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let vm = "sa-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        try await h.addOnline(vm)
        XCTAssertEqual(try run(h, "group", "policy", vm, "--preferred", "solo", "--failover", "3/1h").status, 0)
        let json = try run(h, "status", "--output", "json")
        XCTAssertEqual(json.status, 0, json.err)
        let status = try JSONDecoder().decode(ClusterStatus.self, from: Data(json.out.utf8))
        let solo = try XCTUnwrap(status.node("solo"))
        XCTAssertEqual(solo.usedMemoryMiB, 128)
        let capacity = try JSONDecoder().decode(CapacityReport.self, from: Data(try run(h, "capacity", "--output", "json").out.utf8))
        XCTAssertEqual(solo.freeMemoryMiB, capacity.headroom["solo"]?["freeMemoryMiB"], "free as capacity planning counts it")
        XCTAssertLessThan(solo.freeMemoryMiB ?? .max, solo.memoryMiB - 128 + 1)
        XCTAssertEqual(solo.usedVCPUs, 1)
        XCTAssertEqual(solo.vmCount, 1)
        XCTAssertEqual(solo.reserved, false)
        XCTAssertNil(solo.quarantinedUntil)
        let group = try XCTUnwrap(status.group(vm))
        XCTAssertEqual(group.preferredOwners, ["solo"])
        XCTAssertEqual(group.failoversLeft, 3)
        XCTAssertNil(group.lastFailure)
        let alerts = try XCTUnwrap(status.alerts)
        XCTAssertEqual(alerts, [AlertView(severity: "warning", subject: nil,
                                          message: "N+1 not met: losing one node can leave \(vm) without room")])

        let text = try run(h, "status")
        for line in ["quorum: yes (the store answered; 1 of 1 node(s) hold a lease)", "leader: solo", "alerts:",
                     "  WARNING: N+1 not met: losing one node can leave \(vm) without room"] {
            XCTAssertTrue(text.out.contains(line), "status shows '\(line)': \(text.out)")
        }
        let header = try XCTUnwrap(text.out.split(separator: "\n").first { $0.hasPrefix("GROUP") })
        XCTAssertTrue(header.contains("PREFERRED") && header.contains("FAILOVERS LEFT") && header.contains("LAST FAILURE"), String(header))
        let shown = try run(h, "group", "show", vm).out
        XCTAssertTrue(shown.contains("failovers left:") && shown.contains("last failure:") && shown.contains("none recorded"), shown)
        await h.stop()
    }

    /// `node drain --dry-run` (text, and the API's type in JSON) changes nothing; a bad `--deadline`
    /// is refused naming it; a drain that cannot empty the node ends incomplete at once (exit 3,
    /// naming the group and why), its outcome and deadline shown by `node show`; `resume --failback`.
    func testDrainDryRunDeadlineIncompleteOutcomeAndResumeWithFailback() async throws {
        let h = try await startedAgent()
        defer { Task { await h.stop() } }
        let vm = "dr-\(UUID().uuidString.prefix(6).lowercased())"
        defer { AgentHarness.remove(vm) }
        try await h.addOnline(vm)

        let dry = try run(h, "node", "drain", "solo", "--dry-run")
        XCTAssertEqual(dry.status, 0, dry.err)
        XCTAssertTrue(dry.out.contains("dry run of a drain of solo: nothing is changed"), dry.out)
        XCTAssertTrue(dry.out.contains("cannot move (the drain would end incomplete): \(vm) ("), dry.out)
        XCTAssertTrue(dry.out.contains("N+0 now; N+0 once solo is drained"), dry.out)
        let json = try run(h, "node", "drain", "solo", "--dry-run", "--output", "json")
        XCTAssertEqual(json.status, 0, json.err)
        let plan = try JSONDecoder().decode(DrainPlanView.self, from: Data(json.out.utf8))
        XCTAssertEqual(plan.node, "solo")
        XCTAssertEqual(plan.moves.map(\.group), [vm])
        XCTAssertNil(plan.moves.first?.target, "no other node can take it")
        XCTAssertEqual(plan.moves.first?.memoryMiB, 128)
        XCTAssertFalse(plan.moves.first?.reason.isEmpty ?? true, "it says why it cannot move")
        let unknownPlan = try run(h, "node", "drain", "nosuch", "--dry-run")
        XCTAssertEqual(unknownPlan.status, 1)
        XCTAssertTrue(unknownPlan.err.contains("no node named nosuch"), unknownPlan.err)
        let afterDryRun = try await h.status().node("solo")
        XCTAssertEqual(afterDryRun?.state, "up", "a dry run changes nothing")
        XCTAssertNil(afterDryRun?.drain)

        let badDeadline = try run(h, "node", "drain", "solo", "--deadline", "soon")
        XCTAssertEqual(badDeadline.status, 1, badDeadline.out)
        XCTAssertTrue(badDeadline.err.contains("bad deadline 'soon'"), badDeadline.err)
        let afterRefusal = try await h.status().node("solo")
        XCTAssertEqual(afterRefusal?.state, "up", "a refused request drains nothing")

        let began = Date()
        let drain = try run(h, "node", "drain", "solo", "--deadline", "45m", "--timeout", "60")
        XCTAssertEqual(drain.status, 3, "a drain that ends incomplete: done only in part (\(drain.out) \(drain.err))")
        XCTAssertLessThan(Date().timeIntervalSince(began), 30, "it ends when the drain does, not at the timeout")
        XCTAssertTrue(drain.out.contains("drain of solo requested (deadline 45m)"), drain.out)
        XCTAssertTrue(drain.err.contains("drain of solo incomplete: 1 group(s) left: \(vm) ("), drain.err)
        let shown = try JSONDecoder().decode(NodeView.self, from: Data(try run(h, "node", "show", "solo", "--output", "json").out.utf8))
        let record = try XCTUnwrap(shown.drain)
        XCTAssertEqual(record.outcome, "incomplete")
        XCTAssertEqual(record.left.map(\.group), [vm])
        XCTAssertEqual(record.moved, [])
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let started = try XCTUnwrap(record.startedAt.flatMap(iso.date(from:)))
        let deadline = try XCTUnwrap(iso.date(from: record.deadline))
        XCTAssertEqual(deadline.timeIntervalSince(started), 45 * 60, accuracy: 0.01, "the request's deadline, not the default")
        let text = try run(h, "node", "show", "solo").out
        XCTAssertTrue(text.contains("last drain:") && text.contains("incomplete: 1 group(s) left: \(vm)"), text)

        let wrong = try await h.call(.POST, AgentAPI.node("solo", .drain), body: try JSONEncoder().encode(NodeRequest(failback: true)))
        XCTAssertEqual(wrong.status, 400)
        XCTAssertTrue(String(decoding: wrong.body, as: UTF8.self).contains("only a resume takes failback"))
        let resumed = try run(h, "node", "resume", "solo", "--failback")
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertEqual(resumed.out.trimmingCharacters(in: .whitespacesAndNewlines), "resume of solo requested (with failback)")
        try await h.waitUntil("solo up") { try await h.status().node("solo")?.state == "up" }
        let home = try await h.status().node("solo")?.drain
        XCTAssertEqual(home?.failback, [], "its drain moved nothing off: nothing comes home")
        await h.stop()
    }
}

/// Text appended from another thread.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func append(_ s: String) { lock.withLock { value += s } }
    var text: String { lock.withLock { value } }
}
