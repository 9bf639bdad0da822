import Blocking
import HACoordination
import HACore
import Synchronization

/// One domain's live migration under a `MigrationSupervisor`: the shell that starts the job,
/// samples its progress every `sampleInterval` on a thread of its own (a hung libvirtd cannot stop
/// the supervisor's clock), publishes it through the move's journal, and performs the supervisor's
/// actions: a new pass with auto-converge, the switch to post-copy, the abort. Holds no policy.
struct SupervisedMigration: Sendable {
    let hypervisor: any Hypervisor
    let domain: String
    let destinationURI: String
    /// The job's options; auto-converge and post-copy are set by the supervisor for each pass.
    let options: LiveMigrationOptions
    let limits: MigrationLimits
    let memoryMiB: Int
    let sampleInterval: Duration
    let journal: MoveJournal
    /// The leader's request to abort this move, if one came (read before each pass and at every sample).
    var abortRequest: @Sendable () -> String? = { nil }

    /// Migrates the domain; throws when the job failed, or `MigrationAborted` when the supervisor
    /// aborted it (on its own, or as the leader asked: then no job starts if none runs yet).
    func run() async throws {
        var supervisor = MigrationSupervisor(memoryMiB: memoryMiB, limits: limits, at: .wallClockNow)
        await journal.progress(domain, nil, rung: supervisor.rung)
        while true {
            if let request = abortRequest() {
                for action in supervisor.abortRequested(request, at: .wallClockNow) {
                    await journal.step(vm: domain, action.rung.rawValue, reason: action.reason)
                }
                supervisor.ended()
                await journal.progress(domain, nil, rung: supervisor.rung)
                throw MigrationAborted(domain: domain, reason: request, error: "no job was started", requested: true)
            }
            var pass = options
            pass.autoConverge = supervisor.autoConverge
            pass.postCopy = supervisor.postCopyCapable
            let outcome = await supervise(&supervisor, pass)
            switch outcome.result {
            case .success:
                supervisor.ended()
                await journal.progress(domain, nil, rung: supervisor.rung)
                return
            case .failure where outcome.restart:
                supervisor.passStarted(at: .wallClockNow)
                await journal.progress(domain, nil, rung: supervisor.rung)
            case .failure(let error):
                let aborted = supervisor.rung == .abort
                supervisor.ended()
                if aborted, let reason = outcome.abortReason {
                    throw MigrationAborted(domain: domain, reason: supervisor.requestedAbort ?? reason, error: "\(error)",
                                           requested: supervisor.requestedAbort != nil)
                }
                throw error
            }
        }
    }

    /// Runs one pass of the job to its end, feeding samples and ticks to the supervisor.
    private func supervise(_ supervisor: inout MigrationSupervisor, _ pass: LiveMigrationOptions) async
        -> (result: Result<Void, any Error>, restart: Bool, abortReason: String?) {
        let job = JobWatch()
        let (hypervisor, domain, destination) = (self.hypervisor, self.domain, self.destinationURI)
        let migration = Task {
            defer { job.finish() }
            try await BlockingCall.run("vigil-libvirt") { try hypervisor.liveMigrate(domain, to: destination, options: pass) }
        }
        let sampler = Task { await sample(job) }
        defer { sampler.cancel() }
        var restart = false
        var abortReason: String?
        while !job.isFinished {
            // Waits one sample interval, but notices the job's end within a few milliseconds: the next
            // move of a drain starts when this one ends, not up to a sample interval later.
            let tick = ContinuousClock.now + sampleInterval
            while !job.isFinished, ContinuousClock.now < tick { try? await Task.sleep(for: Self.endPoll) }
            if job.isFinished { break }
            let now = Timestamp.wallClockNow
            let sample = job.takeSample()
            var actions = sample.map { supervisor.sampled($0, at: now) } ?? supervisor.tick(at: now)
            if let request = abortRequest() { actions += supervisor.abortRequested(request, at: now) }
            await journal.progress(domain, sample, rung: supervisor.rung)
            var pending = actions[...]
            while let action = pending.popFirst() {
                await journal.step(vm: domain, action.rung.rawValue, reason: action.reason)
                switch action.kind {
                case .restartWithAutoConverge:
                    restart = true
                    abort()
                case .abort:
                    restart = false
                    abortReason = action.reason
                    abort()
                case .startPostCopy:
                    do {
                        try await BlockingCall.run("vigil-libvirt") { try hypervisor.startPostCopy(domain) }
                    } catch {
                        pending.append(contentsOf: supervisor.postCopyRefused("\(error)", at: .wallClockNow))
                    }
                }
            }
        }
        return (await migration.result, restart, abortReason)
    }

    /// How often the supervising loop looks whether the job has ended.
    static let endPoll = Duration.milliseconds(10)

    /// Asks libvirt to abort the job, on a thread of its own, without waiting: the job's end is what counts.
    private func abort() {
        let (hypervisor, domain) = (self.hypervisor, self.domain)
        Task { try? await BlockingCall.run("vigil-libvirt") { try hypervisor.abortMigration(domain) } }
    }

    /// Samples the job until it ends, one call at a time, keeping the newest sample for the supervisor.
    private func sample(_ job: JobWatch) async {
        let (hypervisor, domain) = (self.hypervisor, self.domain)
        while !job.isFinished, !Task.isCancelled {
            if let progress = try? await BlockingCall.run("vigil-libvirt", { try hypervisor.migrationProgress(of: domain) }) {
                job.offer(progress)
            }
            try? await Task.sleep(for: sampleInterval)
        }
    }
}

/// Whether a migration job has ended, and its newest unread progress sample; shared between the
/// job, the sampler and the supervising loop.
final class JobWatch: Sendable {
    private let state = Mutex<(finished: Bool, sample: MigrationProgress?)>((false, nil))
    var isFinished: Bool { state.withLock { $0.finished } }
    func finish() { state.withLock { $0.finished = true } }
    func offer(_ sample: MigrationProgress) { state.withLock { $0.sample = sample } }
    func takeSample() -> MigrationProgress? { state.withLock { s in defer { s.sample = nil }; return s.sample } }
}

/// A live migration was aborted: the guest stays on the source. The move falls back when the
/// supervisor aborted it, and ends aborted when the leader asked (`requested`).
struct MigrationAborted: Error, CustomStringConvertible {
    let domain: String
    let reason: String
    /// How the job ended once aborted.
    let error: String
    var requested = false
    var description: String {
        "live migration of \(domain) aborted\(requested ? " as the leader asked" : ""): \(reason) (job: \(error))"
    }
}
