import Foundation

/// Digests, built by the node whose planning turn it is (so each once).
extension PostgresStore {
  /// Its items are marked first: if one was taken meanwhile (another
  /// node's builder got there first), nothing is written.
  public func saveDigest(_ digest: Digest, at: Date) async throws {
    do {
      try await pool.write { transaction in try Self.insertDigest(transaction, digest, at: at) }
    } catch is DigestTaken {}
  }

  private static func insertDigest(
    _ transaction: PostgresTransaction, _ digest: Digest, at: Date
  ) throws {
    let now = Timestamp.format(at)
    let message = digest.message
    var marked = 0
    for item in digest.items {
      marked += try transaction.query(
        """
        UPDATE deliveries SET state = 'digested', hold_reason = NULL, digest_id = $1, updated_at = $2
        WHERE id = $3 AND state = 'held' RETURNING id
        """, [digest.delivery.id.rawValue, now, item.rawValue]
      ).count
    }
    guard marked == digest.items.count else { throw DigestTaken() }
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
    transaction.audit(.digestCreated(digest, at: at))
    transaction.notify(.work)
  }

  public func releaseForDigest(_ id: DeliveryID, at: Date) async throws {
    try await pool.write { transaction in
      guard
        try !transaction.query(
          """
          UPDATE deliveries SET state = 'ready', hold_reason = NULL, updated_at = $1
          WHERE id = $2 AND state = 'held' RETURNING id
          """, [Timestamp.format(at), id.rawValue]
        ).isEmpty
      else { return }  // released already
      transaction.audit(
        AuditEvent(
          kind: "delivery.released", at: at, deliveryID: id, actor: "commsd",
          detail: ["reason": "the only item of its digest"]))
      transaction.notify(.work)
    }
  }
}
