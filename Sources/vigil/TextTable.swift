/// A plain-text table: a header row and columns as wide as their widest cell.
struct TextTable {
    let header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ cells: String...) { rows.append(cells) }

    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }
                .joined()
        }.joined(separator: "\n")
    }
}

/// Comma-separated values as a list; nil stays nil.
func list(_ value: String?) -> [String]? {
    value.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
}

/// A list for a table cell: "-" when empty.
func cell(_ items: [String], separator: String = ",") -> String { items.isEmpty ? "-" : items.joined(separator: separator) }
