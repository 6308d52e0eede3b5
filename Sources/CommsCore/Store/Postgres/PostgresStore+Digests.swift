import Foundation

/// Digests, built by the node whose planning turn it is (so each once).
extension PostgresStore {
  public func saveDigest(_ digest: Digest, at: Date) async throws {
    try await pool.write { transaction in
      let now = Timestamp.format(at)
      let message = digest.message
      try transaction.query(
        """
        INSERT INTO messages (id, fingerprint, sender_kind, sender_name, sender_origin, audiences, priority,
          kind, contents, default_language, accepted_at, planned_at)
        VALUES ($1, 'digest', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
        """,
        [
          message.id.rawValue, message.sender.kind.rawValue, message.sender.name,
          message.sender.origin, JSONCoding.string(message.audiences), message.priority.rawValue,
          message.kind.rawValue, JSONCoding.string(message.contents), message.defaultLanguage, now,
        ])
      try Self.insertDelivery(transaction, digest.delivery, now: now)
      for item in digest.items {
        try transaction.query(
          """
          UPDATE deliveries SET state = 'digested', hold_reason = NULL, digest_id = $1, updated_at = $2
          WHERE id = $3 AND state = 'held'
          """, [digest.delivery.id.rawValue, now, item.rawValue])
      }
      transaction.audit(
        AuditEvent(
          kind: "digest.created", at: at, messageID: message.id, deliveryID: digest.delivery.id,
          actor: "commsd",
          detail: [
            "recipient": digest.delivery.recipientID, "audience": digest.delivery.audience,
            "items": digest.items.map(\.rawValue).joined(separator: ","),
          ]))
      transaction.notify(.work)
    }
  }

  public func releaseForDigest(_ id: DeliveryID, at: Date) async throws {
    try await pool.write { transaction in
      try transaction.query(
        """
        UPDATE deliveries SET state = 'ready', hold_reason = NULL, updated_at = $1
        WHERE id = $2 AND state = 'held'
        """, [Timestamp.format(at), id.rawValue])
      transaction.audit(
        AuditEvent(
          kind: "delivery.released", at: at, deliveryID: id, actor: "commsd",
          detail: ["reason": "the only item of its digest"]))
      transaction.notify(.work)
    }
  }
}
