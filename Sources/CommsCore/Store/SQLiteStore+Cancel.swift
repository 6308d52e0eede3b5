import Foundation
import GRDB

/// `commsd cancel`: withdrawal, and the retraction to those who got it.
extension SQLiteStore {
  public func cancel(_ cancellation: Cancellation) async throws -> CancelOutcome {
    try await urgent.run {
      try await pool.write { db in try Self.cancel(db, cancellation) }
    }
  }

  /// All in one transaction, so nobody who got the message is missed: a
  /// delivery is either delivered now (and gets its copy of the retraction
  /// here) or in flight (marked; if it arrives, its copy is added when its
  /// outcome is written) or withdrawn.
  static func cancel(_ db: Database, _ cancellation: Cancellation) throws -> CancelOutcome {
    let id = cancellation.messageID
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT cancelled_at, pseudonymised_at, kind FROM messages WHERE id = ?",
        arguments: [id.rawValue])
    else { throw StoreError.refused(field: "id", "there is no message \(id) in this store") }
    if let refusal = cancellation.refusal(
      cancelledAt: row[0], pseudonymisedAt: row[1], kind: row[2])
    {
      throw refusal
    }
    let at = cancellation.at
    try db.execute(
      sql: "UPDATE messages SET cancelled_at = ?, cancel_reason = ?, cancelled_by = ? WHERE id = ?",
      arguments: [
        Timestamp.format(at), cancellation.reason, cancellation.actor.description, id.rawValue,
      ])
    try insertAudit(
      db,
      AuditEvent(
        kind: "message.cancelled", at: at, messageID: id, actor: cancellation.actor.description,
        detail: [
          "reason": cancellation.reason,
          "retraction": cancellation.retraction?.id.rawValue ?? "",
        ]))
    let (withdrawn, inFlight) = try withdraw(
      db, messages: [id], as: .cancelled, at: at, actor: cancellation.actor.description,
      reason: cancellation.reason)
    guard let retraction = cancellation.retraction else {
      return CancelOutcome(withdrawn: withdrawn, inFlight: inFlight, retraction: nil, notified: 0)
    }
    _ = try insertAccepted(db, retraction, fingerprint: "retraction of \(id)")
    try db.execute(
      sql: "UPDATE messages SET planned_at = ? WHERE id = ?",
      arguments: [Timestamp.format(at), retraction.id.rawValue])
    // Who got it: delivered, or carried by a digest that was delivered.
    let received = try Row.fetchAll(
      db,
      sql: """
        SELECT \(StoreRows.deliveryColumns) FROM deliveries
        WHERE message_id = ? AND (state = 'delivered' OR (state = 'digested' AND EXISTS (
          SELECT 1 FROM deliveries d WHERE d.id = deliveries.digest_id AND d.state = 'delivered')))
        """, arguments: [id.rawValue]
    ).map(StoreRows.delivery(from:))
    var notified = 0
    for delivery in received {
      try insertRetractionCopy(db, of: delivery, retraction: retraction.id, at: at)
      notified += 1
    }
    try insertAudit(
      db,
      AuditEvent(
        kind: "message.planned", at: at, messageID: retraction.id, actor: "commsd",
        detail: ["deliveries": String(notified), "retraction_of": id.rawValue]))
    return CancelOutcome(
      withdrawn: withdrawn, inFlight: inFlight, retraction: retraction.id, notified: notified)
  }

  /// A delivery of a cancelled message arrived after the cancel: its
  /// reader gets the retraction too, if there is one.
  static func addRetractionCopy(_ db: Database, for delivery: DeliveryID, at: Date) throws {
    guard
      let row = try Row.fetchOne(
        db,
        sql: """
          SELECT \(StoreRows.deliveryColumns), (SELECT r.id FROM messages r WHERE r.retraction_of = deliveries.message_id)
          FROM deliveries WHERE id = ?
          """, arguments: [delivery.rawValue]),
      let retraction: String = row[StoreRows.deliveryColumnCount]
    else { return }
    try insertRetractionCopy(
      db, of: try StoreRows.delivery(from: row), retraction: MessageID(rawValue: retraction), at: at
    )
  }

  static func insertRetractionCopy(
    _ db: Database, of received: Delivery, retraction: MessageID, at: Date
  ) throws {
    guard
      let row = try Row.fetchOne(
        db,
        sql: """
          SELECT m.priority, b.number FROM messages m
          LEFT JOIN message_bulletins b ON b.message_id = m.id AND b.audience = ?
          WHERE m.id = ?
          """, arguments: [received.audience, retraction.rawValue]),
      let priority = Priority(rawValue: row[0])
    else { return }
    var generator = SystemRandomNumberGenerator()
    var copy = Retraction.copy(
      of: received, retraction: retraction, priority: priority, at: at, using: &generator)
    copy.bulletin = row[1] ?? 0
    try insertDelivery(db, copy, now: Timestamp.format(at))
  }
}
