import HACore

extension MoveRecord {
    /// How long the move took, from its start to the write that ended it (nil unless it is done).
    public var secondsTaken: Double? {
        phase == .done ? Double((updatedAt - startedAt).milliseconds) / 1000 : nil
    }

    /// The rates measured on these moves, per method: the memory of the moves that finished, per
    /// second they took. A group whose memory is unknown (`memoryMiB` nil: removed since) is skipped.
    public static func rates(_ records: [MoveRecord], memoryMiB: (GroupID) -> Int?) -> [MoveMethod: MoveRate] {
        var taken: [MoveMethod: [(memoryMiB: Int, seconds: Double)]] = [:]
        for record in records {
            guard let seconds = record.secondsTaken, let memory = memoryMiB(record.group) else { continue }
            taken[record.method, default: []].append((memory, seconds))
        }
        return taken.compactMapValues { MoveRate(moves: $0) }
    }
}
