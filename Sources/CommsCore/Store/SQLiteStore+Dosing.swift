import Foundation
import GRDB

/// What Dose reads before planning.
extension SQLiteStore {
  public func dosingHistory(
    audiences: [String], since: Date, latestSince: Date?
  ) async throws -> DosingHistory {
    try await pool.read { db in
      var history = DosingHistory()
      if !audiences.isEmpty {
        let marks = Array(repeating: "?", count: audiences.count).joined(separator: ", ")
        var arguments = StatementArguments(audiences)
        arguments += [Timestamp.format(since)]
        let rows = try Row.fetchCursor(
          db,
          sql: """
            SELECT audience, recipient_id, due_at FROM deliveries
            WHERE audience IN (\(marks)) AND priority IN ('normal', 'bulk') AND contact_index = 0
              AND state != 'cancelled' AND due_at >= ?
            ORDER BY due_at
            """, arguments: arguments)
        while let row = try rows.next() {
          guard let due = Timestamp.parse(row[2]) else { continue }
          history.dosed[row[0], default: [:]][row[1], default: []].append(due)
        }
      }
      if let latestSince {
        let rows = try Row.fetchCursor(
          db,
          sql: """
            SELECT recipient_id, MAX(due_at) FROM deliveries
            WHERE contact_index = 0 AND state != 'cancelled' AND due_at >= ?
            GROUP BY recipient_id
            """, arguments: [Timestamp.format(latestSince)])
        while let row = try rows.next() {
          if let latest = Timestamp.parse(row[1]) { history.latest[row[0]] = latest }
        }
      }
      return history
    }
  }
}
