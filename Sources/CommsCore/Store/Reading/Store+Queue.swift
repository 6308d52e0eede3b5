import Foundation

/// What the planner and the daemon's loops read of the queue, the same from
/// either store.
extension Store {
  /// Messages accepted but not yet expanded into deliveries: flash first,
  /// then by priority, then oldest first.
  public func unplannedMessages(limit: Int) async throws -> [Message] {
    try await read { reader in
      try reader.rows(
        """
        \(StoreRows.messageColumns) WHERE planned_at IS NULL
        ORDER BY CASE priority WHEN 'flash' THEN 0 WHEN 'urgent' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
          accepted_at, id
        LIMIT ?
        """, [limit]
      ).map(StoreRows.message(from:))
    }
  }

  public func message(_ id: MessageID) async throws -> Message? {
    try await read { reader in
      try reader.rows("\(StoreRows.messageColumns) WHERE id = ?", [id.rawValue])
        .first.map(StoreRows.message(from:))
    }
  }

  /// The earliest due time among deliveries waiting to be sent or released, if any.
  public func nextDueDate() async throws -> Date? {
    let waiting = Set(DeliveryTransition.lease.from + DeliveryTransition.releaseHeld.from)
    return try await read { reader in
      try reader.strings(
        """
        SELECT MIN(due_at) FROM deliveries
        WHERE state IN (\(waiting.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")))
        """
      ).first.flatMap(Timestamp.parse)
    }
  }
}
