import Foundation
import GRDB

/// Digests: held deliveries gathered into one situation report per person.
extension SQLiteStore {
  /// Its items are marked first: if one was taken meanwhile (another
  /// builder got there first), nothing is written.
  public func saveDigest(_ digest: Digest, at: Date) async throws {
    do {
      try await pool.write { db in try Self.insertDigest(db, digest, at: at) }
    } catch is DigestTaken {}
  }

  private static func insertDigest(_ db: Database, _ digest: Digest, at: Date) throws {
    let now = Timestamp.format(at)
    let message = digest.message
    let mark = try db.cachedStatement(
      sql: """
        UPDATE deliveries SET state = 'digested', hold_reason = NULL, digest_id = ?, updated_at = ?
        WHERE id = ? AND state = 'held'
        """)
    var marked = 0
    for item in digest.items {
      try mark.execute(arguments: [digest.delivery.id.rawValue, now, item.rawValue])
      marked += db.changesCount
    }
    guard marked == digest.items.count else { throw DigestTaken() }
    try db.execute(
      sql: """
        INSERT INTO messages (id, fingerprint, sender_kind, sender_name, sender_origin, audiences, priority,
          kind, contents, default_language, accepted_at, planned_at)
        VALUES (?, 'digest', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        message.id.rawValue, message.sender.kind.rawValue, message.sender.name,
        message.sender.origin,
        JSONCoding.string(message.audiences), message.priority.rawValue, message.kind.rawValue,
        JSONCoding.string(message.contents), message.defaultLanguage, now, now,
      ])
    try Self.insertDelivery(db, digest.delivery, now: now)
    try Self.insertAudit(db, .digestCreated(digest, at: at))
  }

  public func releaseForDigest(_ id: DeliveryID, at: Date) async throws {
    try await pool.write { db in
      try db.execute(
        sql: """
          UPDATE deliveries SET state = 'ready', hold_reason = NULL, updated_at = ?
          WHERE id = ? AND state = 'held'
          """, arguments: [Timestamp.format(at), id.rawValue])
      guard db.changesCount == 1 else { return }  // released already
      try Self.insertAudit(
        db,
        AuditEvent(
          kind: "delivery.released", at: at, deliveryID: id, actor: "commsd",
          detail: ["reason": "the only item of its digest"]))
    }
  }
}
