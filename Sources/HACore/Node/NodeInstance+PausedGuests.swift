/// Guests that QEMU paused because a disk returned an I/O error (its disks' `error_policy='stop'`,
/// libvirt's default for many setups): resumed while a grace lasts, left paused, or failed at once,
/// as their group's `PausedGuestPolicy` says. A guest paused by an operator or a migration is none of it.
extension NodeInstance {
    mutating func suspended(_ domain: String, ioError: Bool, at now: Timestamp) -> [NodeDirective] {
        guard ioError, let ha = haResource(of: domain), phase(of: ha.group).isWatched, !fenced,
              watches[domain]?.pausedByIOErrorSince == nil else { return [] }
        watches[domain, default: DomainWatch()].pausedByIOErrorSince = now
        switch pausedGuestPolicy(of: ha.group) {
        case .powerOff:
            return failed(ha.group, ha.vm, .pausedByIOError(domain: domain, pausedFor: .zero),
                          reason: "HA guest \(domain) of \(ha.group) paused on a disk I/O error; its group powers such guests off")
        case .leavePaused:
            return []
        case .autoResume:
            return [NodeDirective(.resume([domain]), reason: "HA guest \(domain) of \(ha.group) paused on a disk I/O error: resuming it"),
                    nextPausedCheck(at: now)]
        }
    }

    mutating func resumed(_ domain: String) -> [NodeDirective] {
        watches[domain]?.pausedByIOErrorSince = nil
        return []
    }

    /// Past the grace a guest still paused has failed; the others are resumed once more.
    mutating func pausedGuestsDue(at now: Timestamp) -> [NodeDirective] {
        var actions: [NodeDirective] = []
        var stillPaused: [String] = []
        for (domain, watch) in watches.sorted(by: { $0.key < $1.key }) {
            guard let since = watch.pausedByIOErrorSince, let ha = haResource(of: domain), phase(of: ha.group).isWatched, !fenced,
                  pausedGuestPolicy(of: ha.group) == .autoResume else { continue }
            let paused = now - since
            if paused >= settings.pausedGrace {
                watches[domain]?.pausedByIOErrorSince = nil
                actions += failed(ha.group, ha.vm, .pausedByIOError(domain: domain, pausedFor: paused),
                                  reason: "HA guest \(domain) of \(ha.group) still paused on a disk I/O error after \(paused)")
            } else {
                stillPaused.append(domain)
            }
        }
        guard !stillPaused.isEmpty else { return actions }
        return actions + [NodeDirective(.resume(stillPaused), reason: "HA guests paused on a disk I/O error, within their grace: resuming them"),
                          nextPausedCheck(at: now)]
    }

    private func nextPausedCheck(at now: Timestamp) -> NodeDirective {
        NodeDirective(.schedule(.pausedGuests, at: now + settings.pausedResumeInterval), reason: "next check of guests paused on an I/O error")
    }

    private func pausedGuestPolicy(of g: GroupID) -> PausedGuestPolicy { definitions[g]?.policy.onPausedGuest ?? .default }
}
