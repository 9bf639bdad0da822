/// "What if these nodes failed together": where their groups would go, and which would find no room.
public struct WhatIfReport: Codable, Sendable, Equatable {
    public var failing: [String]
    /// Groups that would move, and the node each would go to.
    public var placements: [String: String]
    /// Groups that would fit nowhere, with the reason.
    public var unplaced: [String: String]

    public init(failing: [String], placements: [String: String], unplaced: [String: String]) {
        self.failing = failing
        self.placements = placements
        self.unplaced = unplaced
    }
}
