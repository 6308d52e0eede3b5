import Foundation

/// Dead letters put back in the queue (`commsd dead retry`), as on SQLite.
extension PostgresStore {
  public func retryDead(_ id: String, actor: Sender, at now: Date) async throws -> [String] {
    try await pool.write { transaction in
      if let at: String = try transaction.query(
        """
        SELECT m.pseudonymised_at FROM messages m
        WHERE m.pseudonymised_at IS NOT NULL AND (m.id = $1 OR m.id IN (
          SELECT message_id FROM deliveries WHERE id = $1))
        """, [id]
      ).first?[0] {
        throw StoreError.pseudonymisedRetry(id, at: at)
      }
      let rows = try transaction.query(
        """
        UPDATE deliveries SET state = 'ready', due_at = $1, updated_at = $1, lease_owner = NULL,
          lease_until = NULL
        WHERE state = 'dead' AND (id = $2 OR message_id = $2)
          AND NOT EXISTS (
            SELECT 1 FROM deliveries later
            WHERE later.message_id = deliveries.message_id
              AND later.recipient_id = deliveries.recipient_id
              AND later.contact_index > deliveries.contact_index)
          AND EXISTS (
            SELECT 1 FROM messages m WHERE m.id = deliveries.message_id
              AND m.cancelled_at IS NULL AND m.pseudonymised_at IS NULL
              AND (m.expires_at IS NULL OR m.expires_at > $1)
              AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.supersedes = m.id))
        RETURNING id, message_id, attempts
        """, [Timestamp.format(now), id])
      for row in rows {
        transaction.audit(
          AuditEvent(
            kind: "delivery.retried", at: now, messageID: MessageID(rawValue: row[1]),
            deliveryID: DeliveryID(rawValue: row[0]), actor: actor.description,
            detail: ["attempts_before": String(row[2] as Int)]))
      }
      if !rows.isEmpty { transaction.notify(.work) }
      return rows.map { $0[0] as String }
    }
  }
}
