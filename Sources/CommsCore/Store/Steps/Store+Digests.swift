import Foundation

/// Digests: held deliveries gathered into one situation report per person.
/// On a shared store only the node whose planning turn it is builds them,
/// so each is built once.
extension Store {
  /// Held deliveries whose digest slot has come (with their contacts), by
  /// person, audience and bulletin.
  public func dueDigestItems(now: Date) async throws -> [Delivery] {
    try await read { reader in
      try reader.rows(
        """
        SELECT \(StoreRows.deliveryColumns), contacts FROM deliveries
        WHERE \(DeliveryTransition.digest.condition()) AND due_at <= ? AND hold_reason IN (?, ?)
        ORDER BY recipient_id, audience, bulletin
        """,
        [Timestamp.format(now), HoldReason.digest.rawValue, HoldReason.capToDigest.rawValue]
      ).map { row in
        var delivery = try StoreRows.delivery(from: row)
        let contacts: String = try row[StoreRows.deliveryColumnCount]
        delivery.contacts =
          (try? JSONCoding.decoder().decode([Contact].self, from: Data(contacts.utf8)))
          ?? [delivery.contact]
        return delivery
      }
    }
  }

  /// Writes a digest's message and delivery and marks its items `digested`,
  /// in one transaction. Its items are marked first: if one was taken
  /// meanwhile (withdrawn, or another builder got there first), nothing is
  /// written.
  public func saveDigest(_ digest: Digest, at: Date) async throws {
    do {
      try await write { transaction in try Self.insertDigest(transaction, digest, at: at) }
    } catch is DigestTaken {}
  }

  private static func insertDigest(_ transaction: StoreTransaction, _ digest: Digest, at: Date)
    throws
  {
    let now = Timestamp.format(at)
    let message = digest.message
    var marked = 0
    for item in digest.items {
      marked += try transaction.rows(
        """
        UPDATE deliveries SET state = 'digested', hold_reason = NULL, digest_id = ?, updated_at = ?
        WHERE id = ? AND \(DeliveryTransition.digest.condition()) RETURNING id
        """, [digest.delivery.id.rawValue, now, item.rawValue]
      ).count
    }
    guard marked == digest.items.count else { throw DigestTaken() }
    try transaction.execute(
      """
      INSERT INTO messages (id, fingerprint, sender_kind, sender_name, sender_origin, audiences, priority,
        kind, contents, default_language, accepted_at, planned_at)
      VALUES (?, 'digest', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        message.id.rawValue, message.sender.kind.rawValue, message.sender.name,
        message.sender.origin, JSONCoding.string(message.audiences), message.priority.rawValue,
        message.kind.rawValue, JSONCoding.string(message.contents), message.defaultLanguage, now,
        now,
      ])
    try DeliveryWriter.insert(digest.delivery, now: now, in: transaction)
    try transaction.audit(.digestCreated(digest, at: at))
    transaction.notify(.work)
  }

  /// Sends a lone digest item by itself (held → ready). One released
  /// meanwhile (withdrawn) is left as it is.
  public func releaseForDigest(_ id: DeliveryID, at: Date) async throws {
    try await write { transaction in
      let transition = DeliveryTransition.digestAlone
      guard
        try !transaction.rows(
          """
          UPDATE deliveries SET state = 'ready', hold_reason = NULL, updated_at = ?
          WHERE id = ? AND \(transition.condition()) RETURNING id
          """, [Timestamp.format(at), id.rawValue]
        ).isEmpty
      else { return }
      try transaction.audit(
        AuditEvent(
          kind: transition.event, at: at, deliveryID: id, actor: "commsd",
          detail: ["reason": "the only item of its digest"]))
      transaction.notify(.work)
    }
  }
}
