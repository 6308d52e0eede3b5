import Foundation
import GRDB

/// Dead letters: deliveries that failed for good, for `commsd dead list`
/// and `commsd dead retry`.
extension SQLiteStore {
  /// The newest dead deliveries (of one message, or of all), newest first.
  public func deadDeliveries(of message: MessageID? = nil, limit: Int) async throws
    -> [MessageStatus.DeliveryLine]
  {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT \(Self.lineColumns) FROM deliveries
          WHERE state = 'dead' AND (?1 IS NULL OR message_id = ?1)
          ORDER BY updated_at DESC LIMIT ?2
          """, arguments: [message?.rawValue, limit]
      ).map(Self.deliveryLine(from:))
    }
  }

  /// Puts dead deliveries back in the queue, due now: `id` names one
  /// delivery (`dlv_…`) or every dead delivery of a message (`msg_…`).
  ///
  /// Only a recipient's last contact is retried — an earlier one that died
  /// was followed by a fallback already, and retrying it would reach the
  /// person twice — and only while the message still stands (not cancelled,
  /// superseded or expired). Each retry is audited (`delivery.retried`).
  /// Returns the ids put back.
  public func retryDead(_ id: String, actor: Sender, at now: Date) async throws -> [String] {
    try await pool.write { db in
      let nowText = Timestamp.format(now)
      let rows = try Row.fetchAll(
        db,
        sql: """
          UPDATE deliveries SET state = 'ready', due_at = ?1, updated_at = ?1, lease_owner = NULL,
            lease_until = NULL
          WHERE state = 'dead' AND (id = ?2 OR message_id = ?2)
            AND NOT EXISTS (
              SELECT 1 FROM deliveries later
              WHERE later.message_id = deliveries.message_id
                AND later.recipient_id = deliveries.recipient_id
                AND later.contact_index > deliveries.contact_index)
            AND EXISTS (
              SELECT 1 FROM messages m WHERE m.id = deliveries.message_id
                AND m.cancelled_at IS NULL
                AND (m.expires_at IS NULL OR m.expires_at > ?1)
                AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.supersedes = m.id))
          RETURNING id, message_id, attempts
          """, arguments: [nowText, id])
      for row in rows {
        try Self.insertAudit(
          db,
          AuditEvent(
            kind: "delivery.retried", at: now, messageID: MessageID(rawValue: row[1]),
            deliveryID: DeliveryID(rawValue: row[0]), actor: actor.description,
            detail: ["attempts_before": String(row[2] as Int)]))
      }
      return rows.map { $0[0] as String }
    }
  }
}
