import Foundation

/// What Dose weighs before planning, in one snapshot (`PostgresPool.read`).
extension PostgresStore {
  public func dosingHistory(
    audiences: [String], since: Date, latestSince: Date?
  ) async throws -> DosingHistory {
    try await pool.read { connection in
      var history = DosingHistory()
      if !audiences.isEmpty {
        let rows = try connection.query(
          """
          SELECT audience, recipient_id, due_at FROM deliveries
          WHERE audience = ANY($1::text[]) AND priority IN ('normal', 'bulk') AND contact_index = 0
            AND state != 'cancelled' AND due_at >= $2
          ORDER BY due_at
          """, [PostgresArray.text(audiences), Timestamp.format(since)])
        for row in rows {
          guard let due = Timestamp.parse(try row[2]) else { continue }
          history.dosed[try row[0], default: [:]][try row[1], default: []].append(due)
        }
      }
      if let latestSince {
        for row in try connection.query(
          """
          SELECT recipient_id, MAX(due_at) FROM deliveries
          WHERE contact_index = 0 AND state != 'cancelled' AND due_at >= $1
          GROUP BY recipient_id
          """, [Timestamp.format(latestSince)])
        {
          if let latest = Timestamp.parse(try row[1]) { history.latest[try row[0]] = latest }
        }
      }
      return history
    }
  }

}
