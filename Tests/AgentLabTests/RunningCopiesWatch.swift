import Foundation
import Libvirt

/// Polls every host's libvirtd every 50 ms for the running HA domains, one thread and one kept
/// connection per host (a dead or hung libvirtd delays only its own host's samples), and records
/// every moment a domain ran on two hosts at once by samples less than half a second old: the
/// chaos suite's "never two copies" observer, independent of the agents.
final class RunningCopiesWatch: @unchecked Sendable {
    private let lock = NSLock()
    private let domains: Set<String>
    private var latest: [String: (time: Double, names: Set<String>)] = [:]
    private var doubles: [String] = []
    private var samples = 0
    private var running = true

    init(hosts: [(name: String, uri: String)], domains: [String]) {
        self.domains = Set(domains)
        for host in hosts {
            let thread = Thread { [self] in poll(host.name, host.uri) }
            thread.name = "watch-\(host.name)"
            thread.start()
        }
    }

    private func poll(_ host: String, _ uri: String) {
        var connection: Connection?
        while lock.withLock({ running }) {
            let next = Date().addingTimeInterval(0.05)
            if connection == nil { connection = try? Connection(uri: uri) }
            if let c = connection, let list = try? c.listDomains(.running) {
                record(host, Set(list.map(\.name)).intersection(domains))
            } else {
                connection?.close()
                connection = nil
            }
            Thread.sleep(until: next)  // a sample every 50 ms, whatever the call took
        }
        connection?.close()
    }

    private func record(_ host: String, _ names: Set<String>) {
        let now = Date().timeIntervalSince1970
        lock.withLock {
            latest[host] = (now, names)
            samples += 1
            for d in names.sorted() {
                let hosts = latest.filter { now - $0.value.time < 0.5 && $0.value.names.contains(d) }.keys.sorted()
                if hosts.count > 1, doubles.count < 50 { doubles.append(String(format: "%@ on %@ at %.2f", d, hosts.joined(separator: "+"), now)) }
            }
        }
    }

    /// Stops polling; returns every double run seen and how many host samples were taken.
    func stop() -> (doubles: [String], samples: Int) {
        lock.withLock {
            running = false
            return (doubles, samples)
        }
    }
}
