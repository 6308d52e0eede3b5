import Foundation

/// What Dose weighs before planning, read in one snapshot from either store.
extension Store {
  /// The normal/bulk messages of each of `audiences` since `since` per
  /// person, and (when `latestSince` is given) each person's latest message
  /// since then. Rows are taken one at a time (a cursor on SQLite): a large
  /// audience's history is never all in memory as rows.
  public func dosingHistory(audiences: [String], since: Date, latestSince: Date?) async throws
    -> DosingHistory
  {
    try await read { reader in
      var history = DosingHistory()
      if !audiences.isEmpty {
        try reader.forEachRow(
          """
          SELECT audience, recipient_id, due_at FROM deliveries
          WHERE audience IN (\(StoreTransaction.marks(audiences.count)))
            AND priority IN ('normal', 'bulk') AND contact_index = 0
            AND state != 'cancelled' AND due_at >= ?
          ORDER BY due_at
          """, audiences + [Timestamp.format(since)], shape: .varying
        ) { row in
          guard let due = Timestamp.parse(try row[2]) else { return }
          history.dosed[try row[0], default: [:]][try row[1], default: []].append(due)
        }
      }
      if let latestSince {
        try reader.forEachRow(
          """
          SELECT recipient_id, MAX(due_at) FROM deliveries
          WHERE contact_index = 0 AND state != 'cancelled' AND due_at >= ?
          GROUP BY recipient_id
          """, [Timestamp.format(latestSince)]
        ) { row in
          if let latest = Timestamp.parse(try row[1]) { history.latest[try row[0]] = latest }
        }
      }
      return history
    }
  }
}

extension Store {
  /// Each audience's last bulletin number (0 for one that has none yet):
  /// the dry run shows the number a message would get.
  public func lastBulletins() async throws -> [String: Int] {
    try await read { reader in
      var numbers: [String: Int] = [:]
      for row in try reader.rows("SELECT audience, last FROM bulletins") {
        let last: Int64 = try row[1]
        numbers[try row[0] as String] = Int(clamping: last)
      }
      return numbers
    }
  }
}
