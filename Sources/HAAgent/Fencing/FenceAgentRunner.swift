import Blocking
import Foundation

/// Runs one action of one fence device with the fence-agents protocol: the `key=value` lines on
/// standard input (secrets never on the command line), output captured with bounds, and at the
/// timeout the agent's whole process group SIGKILLed, so that a hung agent never hangs the caller.
public struct FenceAgentRunner: Sendable {
    /// Bytes of standard output kept (the rest is read and dropped).
    public static let outputLimit = 64 * 1024
    /// Bytes of standard error kept (the last ones: the reason is usually at the end).
    static let errorLimit = 8 * 1024
    /// How long output is still read after the agent exited (a child of it may hold the pipes).
    static let drainSeconds = 0.2

    public init() {}

    /// Runs `action` of `device` for `node` (nil: no plug, as for `monitor`, `list`, `metadata`),
    /// waiting on a thread of its own.
    public func run(_ action: FenceAction, device: FenceDevice, node: String?) async -> FenceAgentOutcome {
        let input = device.inputLines(action: action, node: node)
        let (agent, timeout) = (device.agent, device.timeoutSeconds)
        if let key = device.malformedOptionKey { return FenceAgentOutcome(ending: .notStarted(.badOption(key: key))) }
        return await BlockingCall.run("vigil-fence") { () -> FenceAgentOutcome in
            Self.runBlocking(agent: agent, input: input, timeoutSeconds: timeout)
        }
    }

    /// Starts the agent in a process group of its own and waits for it, at most `timeoutSeconds`.
    static func runBlocking(agent: String, input: [String], timeoutSeconds: Double) -> FenceAgentOutcome {
        let clock = ContinuousClock(), start = clock.now
        guard access(agent, X_OK) == 0, !FileManager.default.isDirectory(agent) else {
            return FenceAgentOutcome(ending: .notStarted(.notExecutable(agent: agent)))
        }
        let pipes: AgentPipes
        do { pipes = try AgentPipes() } catch {
            return FenceAgentOutcome(ending: .notStarted(error), seconds: (clock.now - start).seconds)
        }
        defer { pipes.closeParentEnds() }
        let pid: pid_t
        do { pid = try spawnInOwnGroup(agent, pipes: pipes) } catch {
            return FenceAgentOutcome(ending: .notStarted(error), seconds: (clock.now - start).seconds)
        }
        pipes.closeChildEnds()
        pipes.send(input.joined(separator: "\n") + "\n")

        var output = BoundedOutput(), errors = BoundedOutput()
        var open = [pipes.stdout.read, pipes.stderr.read]
        var status: Int32?, exitedAt: ContinuousClock.Instant?
        let deadline = start + .milliseconds(Int64(timeoutSeconds * 1000))
        while true {
            if status == nil, let ended = reap(pid) { (status, exitedAt) = (ended, clock.now) }
            if let exitedAt, open.isEmpty || clock.now - exitedAt > .milliseconds(Int64(drainSeconds * 1000)) { break }
            if status == nil, clock.now >= deadline {
                killpg(pid, SIGKILL)
                status = waitBlocking(pid)
                waitUntilGroupEnds(pid, within: 2)
                return FenceAgentOutcome(ending: .timedOut(seconds: timeoutSeconds), output: output.text,
                                         lastErrorLine: errors.lastLine, seconds: (clock.now - start).seconds)
            }
            readAvailable(&open) { fd, bytes in
                if fd == pipes.stdout.read { output.append(bytes, keepingFirst: outputLimit) } else { errors.append(bytes, keepingLast: errorLimit) }
            }
        }
        let code = status ?? -1
        let ending: FenceAgentEnding = (code & 0x7f) == 0 ? .exited((code >> 8) & 0xff) : .signalled(code & 0x7f)
        return FenceAgentOutcome(ending: ending, output: output.text, lastErrorLine: errors.lastLine,
                                 seconds: (clock.now - start).seconds)
    }

    /// posix_spawn with the agent as leader of a new process group, its standard streams on the
    /// socket pairs, a clean signal mask and default handlers.
    private static func spawnInOwnGroup(_ agent: String, pipes: AgentPipes) throws(FenceAgentError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipes.stdin.read, 0)
        posix_spawn_file_actions_adddup2(&actions, pipes.stdout.write, 1)
        posix_spawn_file_actions_adddup2(&actions, pipes.stderr.write, 2)
        let argv = [strdup(agent), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = CleanSpawn.withAttributes(flags: Int32(POSIX_SPAWN_SETPGROUP), configure: { posix_spawnattr_setpgroup(&$0, 0) }) {
            posix_spawn(&pid, agent, &actions, &$0, argv, environ)
        }
        guard spawned == 0 else { throw .spawnFailed(agent: agent, errno: spawned) }
        return pid
    }

    /// Waits up to 50 ms for output on `open` and hands each chunk to `consume`; a descriptor at
    /// its end leaves `open`. With nothing open it only waits.
    private static func readAvailable(_ open: inout [Int32], _ consume: (Int32, ArraySlice<UInt8>) -> Void) {
        var polled = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&polled, nfds_t(polled.count), 50) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        for entry in polled where entry.revents != 0 {
            let count = read(entry.fd, &buffer, buffer.count)
            if count > 0 { consume(entry.fd, buffer[..<count]) }
            else if count == 0 || (errno != EINTR && errno != EAGAIN) { open.removeAll { $0 == entry.fd } }
        }
    }

    /// The wait status if the process has ended (reaping it), nil while it runs.
    private static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }

    private static func waitBlocking(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }

    /// Waits (bounded) until no live process is left in process group `group`.
    private static func waitUntilGroupEnds(_ group: pid_t, within seconds: Double) {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !liveMembers(ofGroup: group).isEmpty && ContinuousClock.now < end { usleep(10_000) }
    }

    /// The live (not zombie) processes whose process group is `group`, from /proc.
    static func liveMembers(ofGroup group: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")  // state, ppid, pgrp, ...
            guard fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == group else { return nil }
            return pid
        }
    }
}

/// The agent's three standard streams, each a unix socket pair made close-on-exec atomically
/// (Swift's Glibc has no pipe2), so no child another thread starts inherits them. On stdin a write
/// to an agent that already exited fails with EPIPE instead of raising SIGPIPE in vigild. The spawn
/// duplicates the child's ends onto 0, 1 and 2.
private struct AgentPipes {
    struct Ends { var read: Int32, write: Int32 }
    let stdin: Ends, stdout: Ends, stderr: Ends

    init() throws(FenceAgentError) {
        var made: [Ends] = []
        for _ in 0..<3 {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                let code = errno
                made.forEach { _ = close($0.read); _ = close($0.write) }
                throw .pipeFailed(errno: code)
            }
            made.append(Ends(read: pair[0], write: pair[1]))
        }
        (stdin, stdout, stderr) = (made[0], made[1], made[2])
    }

    func closeChildEnds() { [stdin.read, stdout.write, stderr.write].forEach { _ = close($0) } }
    func closeParentEnds() { [stdin.write, stdout.read, stderr.read].forEach { _ = close($0) } }

    /// Writes the input and ends it (the agent reads to end of file); failures are the agent's problem.
    func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Foundation.send(stdin.write, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { bytes = bytes.dropFirst(sent) } else if sent < 0 && errno == EINTR { continue } else { break }
        }
        shutdown(stdin.write, Int32(SHUT_WR))
    }
}

/// Captured bytes of one stream with a bound.
private struct BoundedOutput {
    private var bytes: [UInt8] = []

    mutating func append(_ chunk: ArraySlice<UInt8>, keepingFirst limit: Int) {
        bytes += chunk.prefix(max(0, limit - bytes.count))
    }

    mutating func append(_ chunk: ArraySlice<UInt8>, keepingLast limit: Int) {
        bytes += chunk
        if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The last non-empty line, trimmed.
    var lastLine: String? {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty }
    }
}

extension FileManager {
    fileprivate func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
