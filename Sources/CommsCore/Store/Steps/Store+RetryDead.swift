import Foundation

/// Dead letters put back in the queue (`commsd dead retry`).
extension Store {
  /// Puts dead deliveries back in the queue, due now: `id` names one
  /// delivery (`dlv_…`) or every dead delivery of a message (`msg_…`).
  /// Only a recipient's last contact is retried — an earlier one that died
  /// was followed by a fallback already, and retrying it would reach the
  /// person twice — and only while the message stands. Each retry is
  /// audited (`delivery.retried`). Returns the ids put back; a delivery
  /// that is not dead is `StoreError.illegalTransition`.
  public func retryDead(_ id: String, actor: Sender, at now: Date) async throws -> [String] {
    try await write { transaction in
      // A pseudonymised message's contacts are keyed hashes: sending it again
      // would hand `hmac-sha256:…` to a gateway. Refused, not skipped.
      if let row = try transaction.row(
        """
        SELECT m.pseudonymised_at FROM messages m
        WHERE m.pseudonymised_at IS NOT NULL AND (m.id = ?1 OR m.id IN (
          SELECT message_id FROM deliveries WHERE id = ?1))
        """, [id])
      {
        throw StoreError.pseudonymisedRetry(id, at: try row[0])
      }
      let transition = DeliveryTransition.retryDead
      let rows = try transaction.rows(
        """
        UPDATE deliveries SET state = 'ready', due_at = ?1, updated_at = ?1, lease_owner = NULL,
          lease_until = NULL
        WHERE \(transition.condition()) AND (id = ?2 OR message_id = ?2)
          AND NOT EXISTS (
            SELECT 1 FROM deliveries later
            WHERE later.message_id = deliveries.message_id
              AND later.recipient_id = deliveries.recipient_id
              AND later.contact_index > deliveries.contact_index)
          AND EXISTS (
            SELECT 1 FROM messages m WHERE m.id = deliveries.message_id
              AND m.cancelled_at IS NULL AND m.pseudonymised_at IS NULL
              AND (m.expires_at IS NULL OR m.expires_at > ?1)
              AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.supersedes = m.id))
        RETURNING id, message_id, attempts
        """, [Timestamp.format(now), id])
      for row in rows {
        try transaction.audit(
          AuditEvent(
            kind: transition.event, at: now, messageID: MessageID(rawValue: try row[1]),
            deliveryID: DeliveryID(rawValue: try row[0]), actor: actor.description,
            detail: ["attempts_before": String(try row[2] as Int)]))
      }
      if rows.isEmpty, let state = try transaction.state(ofDelivery: id),
        !transition.applies(to: state)
      {
        throw StoreError.illegalTransition(transition, id: id, state: state)
      }
      if !rows.isEmpty { transaction.notify(.work) }
      return try rows.map { try $0[0] as String }
    }
  }
}
