import Foundation
import GRDB

/// What the planner and the daemon's loops read of the queue, the same from
/// either store.
extension Store {
  /// Messages accepted but not yet expanded into deliveries: flash first,
  /// then by priority, then oldest first.
  public func unplannedMessages(limit: Int, now: Date) async throws -> [Message] {
    try await read { reader in
      let messages = try reader.rows(PlanningQueue.sql, [Timestamp.format(now), limit])
        .map(StoreRows.message(from:))
      // Only the audiences released: one waiting for approval with others
      // = "go", or rejected, is left out (a person in it and in a released
      // audience gets the released one's copy). A point read per message
      // on the approvals' key: driving from the approvals instead would
      // scan every rejected and withdrawn one of the crisis.
      return try messages.map { message in
        var message = message
        let held = Set(
          try reader.rows(
            """
            SELECT audience FROM approvals
            WHERE message_id = ? AND state IN ('pending', 'rejected', 'withdrawn')
            """, [message.id.rawValue]
          ).map { try $0[0] as String })
        if !held.isEmpty { message.audiences.removeAll(where: held.contains) }
        return message
      }
    }
  }

  /// Messages already planned with an audience approved since, each with
  /// only those audiences (`savePlan(_:approved:at:)`).
  public func approvedUnplannedAudiences(limit: Int) async throws -> [Message] {
    try await read { reader in
      let pending = try reader.rows(
        """
        SELECT a.message_id, a.audience FROM approvals a JOIN messages m ON m.id = a.message_id
        WHERE a.state = 'approved' AND a.planned_at IS NULL AND m.planned_at IS NOT NULL
        ORDER BY a.decided_at LIMIT ?
        """, [limit]
      ).map { (try $0[0] as String, try $0[1] as String) }
      var messages: [Message] = []
      for (id, audiences) in Dictionary(grouping: pending, by: \.0) {
        guard
          var message = try reader.rows(
            "\(StoreRows.messageColumns) WHERE id = ?", [id]
          ).first.map(StoreRows.message(from:))
        else { continue }
        let approved = Set(audiences.map(\.1))
        message.audiences = message.audiences.filter { approved.contains($0) }
        messages.append(message)
      }
      return messages
    }
  }

  public func message(_ id: MessageID) async throws -> Message? {
    try await read { reader in
      try reader.rows("\(StoreRows.messageColumns) WHERE id = ?", [id.rawValue])
        .first.map(StoreRows.message(from:))
    }
  }

  /// The message accepted under idempotency key `key`, if any.
  public func messageID(idempotencyKey key: String) async throws -> MessageID? {
    try await read { reader in
      try reader.strings("SELECT id FROM messages WHERE idempotency_key = ?", [key]).first
        .map(MessageID.init(rawValue:))
    }
  }

  /// The earliest due time among deliveries waiting to be sent or released, if any.
  ///
  /// One seek per lane in `deliveries_leasable` and one in `deliveries_held`
  /// (`NextDueQueries`), not one `MIN` over every waiting state: SQLite
  /// answered that by reading every row of the table, and the dispatcher
  /// asks each time it goes idle (issue 25: 150,000 rows and 14,000 page
  /// reads a time in the HTTP benchmark, 12,000 `pread`s a second).
  public func nextDueDate() async throws -> Date? {
    try await read { reader in
      var earliest: Date?
      for (sql, arguments) in NextDueQueries.all {
        guard let text = try reader.strings(sql, arguments).first,
          let due = Timestamp.parse(text)
        else { continue }
        earliest = min(earliest ?? due, due)
      }
      return earliest
    }
  }

  /// The earliest release time of a scheduled message not yet planned
  /// (the `messages_scheduled` index), for the planner's wait.
  public func nextReleaseDate() async throws -> Date? {
    try await read { reader in
      try reader.strings(
        "SELECT MIN(not_before) FROM messages WHERE planned_at IS NULL AND not_before IS NOT NULL"
      ).first.flatMap(Timestamp.parse)
    }
  }
}

/// The queries of `Store.nextDueDate()`, each written to match its partial
/// index's `WHERE` (`StoreSchema`), so the index can answer it;
/// `NextDueQueryTests` holds the states to the transitions' and the plans to
/// the indexes.
enum NextDueQueries {
  static var all: [(sql: String, arguments: [(any DatabaseValueConvertible)?])] {
    Priority.allCases.map { priority in
      (
        "SELECT due_at FROM deliveries WHERE state IN ('ready', 'retrying') AND lane = ? ORDER BY due_at LIMIT 1",
        [priority.lane]
      )
    } + [("SELECT due_at FROM deliveries WHERE state = 'held' ORDER BY due_at LIMIT 1", [])]
  }
}

/// The planner's queue (`Store.unplannedMessages`): a scheduled message once
/// its time (the first argument) has come, or once cancelled (so that it is
/// closed with nobody planned, not left "scheduled"); none held back for
/// its approval; by priority, then oldest first; at most the second
/// argument.
enum PlanningQueue {
  /// Word for word the expression of the `messages_planning_order` index
  /// (`StoreSchema.planningOrder`), so the index gives the order and a turn
  /// reads only the rows it takes (`PlanningOrderTests`).
  static let order = """
    (CASE priority WHEN 'flash' THEN 0 WHEN 'urgent' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END), \
    accepted_at, id
    """

  /// A message all of whose audiences wait for an approval (`others = "wait"`).
  static let heldForApproval = """
    EXISTS (SELECT 1 FROM approvals a WHERE a.message_id = messages.id
      AND a.state = 'pending' AND a.others_wait = 1)
    """

  static let sql = """
    \(StoreRows.messageColumns) WHERE planned_at IS NULL
      AND (not_before IS NULL OR not_before <= ? OR cancelled_at IS NOT NULL)
      AND NOT \(heldForApproval)
    ORDER BY \(order)
    LIMIT ?
    """
}
