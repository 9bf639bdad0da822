import HACore

/// One signed-in console user: a random session id (the cookie), the CSRF token every form of the
/// session carries, and the time the server forgets it.
struct ConsoleSession: Sendable, Equatable {
    let id: String
    let csrfToken: String
    let expires: Timestamp
}

/// The console's sessions, a pure value: time and randomness are injected, so expiry and the CSRF
/// rule are tested without a clock. The shell keeps one behind a lock (`ConsoleService`).
struct ConsoleSessionBook: Sendable {
    /// How long a session lasts from sign-in, whatever the browser keeps.
    static let lifetime = TimeSpan(milliseconds: 8 * 3600 * 1000)
    /// At most this many sessions are kept; the one expiring first makes room for a new one.
    static let capacity = 256

    private(set) var sessions: [String: ConsoleSession] = [:]

    /// A new session with a fresh id and CSRF token, each 32 bytes from `random`.
    mutating func open(now: Timestamp, random: () -> [UInt8]) -> ConsoleSession {
        forgetExpired(now: now)
        if sessions.count >= Self.capacity, let oldest = sessions.values.min(by: { $0.expires < $1.expires }) {
            sessions[oldest.id] = nil
        }
        let session = ConsoleSession(id: Self.hex(random()), csrfToken: Self.hex(random()), expires: now + Self.lifetime)
        sessions[session.id] = session
        return session
    }

    /// The live session with this id, if any; an expired one is forgotten.
    mutating func session(id: String?, now: Timestamp) -> ConsoleSession? {
        guard let id, let session = sessions[id] else { return nil }
        guard now < session.expires else {
            sessions[id] = nil
            return nil
        }
        return session
    }

    /// Signs out: the id no longer opens anything.
    mutating func close(id: String) { sessions[id] = nil }

    private mutating func forgetExpired(now: Timestamp) {
        sessions = sessions.filter { now < $0.value.expires }
    }

    /// Whether a form's token is the session's; compared in constant time.
    static func csrfMatches(_ session: ConsoleSession, offered: String?) -> Bool {
        guard let offered else { return false }
        let a = Array(offered.utf8), b = Array(session.csrfToken.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Whether a POST's `Origin` is the console's own (`https://` and the Host the browser sent).
    /// A missing Origin is refused too: every browser the console supports sends it on a POST.
    static func sameOrigin(_ origin: String?, host: String?) -> Bool {
        guard let origin, let host, !host.isEmpty else { return false }
        return origin == "https://\(host)"
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
