import Foundation
import HACoordination
import Synchronization
import XCTest

/// False suspicion across every lab cluster of a test run: a host that no test faulted (powered off,
/// cut off, its agent killed, stopped or hung) and that its peers suspected anyway, or, worse, that
/// was fenced or fenced itself. Each cluster checks its own logs when its test ends; the bundle prints the total.
enum SuspicionAudit {
    private static let totals = Mutex((clusters: 0, suspicions: 0, fenced: 0, selfFenced: 0))
    private static let observer: Void = XCTestObservationCenter.shared.addTestObserver(Printer())

    /// What one cluster's agents logged about hosts the test left healthy.
    struct Finding {
        /// "peer silent: suspected" lines about a healthy host, as "h2 by h1".
        var suspicions: [String]
        /// "node fenced" lines about a healthy host.
        var fenced: [String]
        /// "self-fencing" lines of a healthy host: it stopped its own guests although nothing was
        /// done to it (its lease renewals were starved, or etcd lost its leader for too long).
        var selfFenced: [String]
    }

    /// Reads every agent log of the cluster: suspicions and fences of hosts outside `faulted` (a
    /// faulted host's own suspicions, e.g. of everyone while it is cut off, are no false ones).
    static func audit(logs: [String: String], faulted: Set<String>) -> Finding {
        var finding = Finding(suspicions: [], fenced: [], selfFenced: [])
        for (host, text) in logs.sorted(by: { $0.key < $1.key }) {
            for line in text.split(separator: "\n") {
                if !faulted.contains(host), line.hasSuffix("] peer silent: suspected"), let peer = value("peer", in: line),
                   !faulted.contains(peer) {
                    finding.suspicions.append("\(peer) by \(host)")
                }
                if line.hasSuffix("] node fenced"), let node = value("node", in: line), !faulted.contains(node) {
                    finding.fenced.append("\(node) by \(host): \(line)")
                }
                if !faulted.contains(host), line.hasSuffix(selfFenceMessage) {
                    finding.selfFenced.append("\(host): \(line)")
                }
            }
        }
        return finding
    }

    /// Adds one cluster's finding to the run's totals (printed when the test bundle ends).
    static func record(_ finding: Finding) {
        _ = observer
        totals.withLock {
            $0.clusters += 1
            $0.suspicions += finding.suspicions.count
            $0.fenced += finding.fenced.count
            $0.selfFenced += finding.selfFenced.count
        }
    }

    /// What Membership logs when it fences its own host.
    static let selfFenceMessage = "] \(Membership.selfFenceLogMessage)"

    /// The value of `key=` in a swift-log line's metadata.
    private static func value(_ key: String, in line: Substring) -> String? {
        guard let range = line.range(of: " \(key)=") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }

    private final class Printer: NSObject, XCTestObservation {
        func testBundleDidFinish(_ testBundle: Bundle) {
            let t = SuspicionAudit.totals.withLock { $0 }
            guard t.clusters > 0 else { return }
            print("[lab] false suspicion over \(t.clusters) lab cluster(s): \(t.suspicions) suspicion(s) of healthy hosts, "
                  + "\(t.fenced) healthy host(s) fenced, \(t.selfFenced) self-fence(s) of healthy hosts")
        }
    }
}
