import Crypto
import HACore

/// One peer heartbeat datagram.
///
/// Wire format (big-endian), 30 bytes plus the two names plus a 32-byte MAC:
///
///     "VGHB"  version(1)=1
///     cluster length(1) cluster (UTF-8, 1–255 bytes)
///     node length(1) node (UTF-8, 1–255 bytes)
///     incarnation(8)   random per process start
///     seq(8)           increases by one per datagram sent to anyone, from 1
///     sentAt(8)        sender's wall clock, ms since the Unix epoch (diagnostics only: clocks differ)
///     mac(32)          HMAC-SHA256 of everything before it, keyed with the cluster secret
struct PeerBeat: Sendable, Equatable {
    var cluster: String
    var node: NodeID
    var incarnation: UInt64
    var seq: UInt64
    var sentAtMilliseconds: Int64

    static let magic: [UInt8] = Array("VGHB".utf8)
    static let version: UInt8 = 1
    static let macLength = 32
    /// The largest datagram a valid beat can be (two 255-byte names); anything larger is dropped unread.
    static let maximumLength = magic.count + 1 + 2 * 256 + 24 + macLength

    /// The datagram, authenticated with `key`.
    func encoded(key: SymmetricKey) -> [UInt8] {
        var body = Self.magic + [Self.version]
        for name in [cluster, node.rawValue] {
            let bytes = Array(name.utf8.prefix(255))
            body.append(UInt8(bytes.count))
            body += bytes
        }
        for value in [incarnation, seq, UInt64(bitPattern: sentAtMilliseconds)] {
            withUnsafeBytes(of: value.bigEndian) { body += $0 }
        }
        return body + Array(HMAC<SHA256>.authenticationCode(for: body, using: key))
    }

    /// Reads and authenticates a datagram; the MAC is checked before anything in the body is trusted.
    static func decode(_ bytes: [UInt8], key: SymmetricKey) throws(PeerBeatRejection) -> PeerBeat {
        guard bytes.count <= maximumLength else { throw .tooLarge }
        guard bytes.count > macLength + magic.count + 1 else { throw .malformed }
        let body = bytes[..<(bytes.count - macLength)]
        guard HMAC<SHA256>.isValidAuthenticationCode(bytes[(bytes.count - macLength)...], authenticating: body, using: key) else {
            throw .badMAC
        }
        var reader = Reader(bytes: Array(body))
        guard reader.take(magic.count).map(Array.init) == magic, reader.take(1).map(Array.init) == [version],
              let cluster = reader.name(), let node = reader.name(),
              let incarnation = reader.integer(), let seq = reader.integer(), let sentAt = reader.integer(), reader.atEnd
        else { throw .malformed }
        return PeerBeat(cluster: cluster, node: NodeID(node), incarnation: incarnation, seq: seq,
                        sentAtMilliseconds: Int64(bitPattern: sentAt))
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        mutating func name() -> String? {
            guard let length = take(1)?.first, length > 0, let raw = take(Int(length)) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }
        mutating func integer() -> UInt64? { take(8)?.reduce(0) { $0 << 8 | UInt64($1) } }
    }
}

/// Why a datagram was not taken as a heartbeat.
enum PeerBeatRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Larger than any beat can be.
    case tooLarge
    /// Not a beat of this format.
    case malformed
    /// Not authenticated with this cluster's secret (or altered).
    case badMAC
    /// Authenticated, but from another cluster sharing the secret.
    case otherCluster(String)
    /// This node's own beat (a peer list that names this host).
    case fromSelf
    /// A sequence number not above the last one heard from that process, or a process already replaced.
    case replay(NodeID)

    var description: String {
        switch self {
        case .tooLarge: "datagram too large"
        case .malformed: "malformed datagram"
        case .badMAC: "bad MAC (wrong cluster secret?)"
        case .otherCluster(let name): "from cluster \(name)"
        case .fromSelf: "from this node"
        case .replay(let node): "replayed or stale beat of \(node)"
        }
    }
}

/// Which authenticated beats count: this cluster's, not this node's, and each process's sequence
/// numbers strictly increasing. A node's new incarnation (its agent restarted) replaces the old one,
/// whose beats are refused from then on (the last `remembered` incarnations per node are kept).
///
/// What it cannot refuse: beats recorded before this agent started and replayed to it once each
/// (it has no memory of them); such a replay only delays a suspicion, never causes one.
struct PeerBeatAdmission: Sendable {
    let cluster: String
    let node: NodeID
    var remembered = 8
    private var current: [NodeID: (incarnation: UInt64, seq: UInt64)] = [:]
    private var retired: [NodeID: [UInt64]] = [:]

    init(cluster: String, node: NodeID) {
        self.cluster = cluster
        self.node = node
    }

    /// Records the beat when it counts; else says why not.
    mutating func admit(_ beat: PeerBeat) throws(PeerBeatRejection) {
        guard beat.cluster == cluster else { throw .otherCluster(beat.cluster) }
        guard beat.node != node else { throw .fromSelf }
        if let last = current[beat.node] {
            if last.incarnation == beat.incarnation {
                guard beat.seq > last.seq else { throw .replay(beat.node) }
            } else {
                guard !retired[beat.node, default: []].contains(beat.incarnation) else { throw .replay(beat.node) }
                retired[beat.node, default: []].append(last.incarnation)
                retired[beat.node] = retired[beat.node].map { Array($0.suffix(remembered)) }
            }
        }
        current[beat.node] = (beat.incarnation, beat.seq)
    }
}
