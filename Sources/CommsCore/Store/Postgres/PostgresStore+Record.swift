import Foundation

/// Writing the outcomes of attempts, and falling back to the next contact.
extension PostgresStore {
  public func record(_ outcomes: [AttemptRecord], owner: String) async throws -> Int {
    guard !outcomes.isEmpty else { return 0 }
    return try await pool.write { transaction in
      var skipped = 0
      for outcome in outcomes where try !Self.record(outcome, owner: owner, in: transaction) {
        skipped += 1
      }
      return skipped
    }
  }

  /// Writes one outcome, as `SQLiteStore.record` does; false when the
  /// delivery is no longer leased to `owner` (its lease ran out and another
  /// node took it).
  private static func record(
    _ outcome: AttemptRecord, owner: String, in transaction: PostgresTransaction
  ) throws -> Bool {
    let at = Timestamp.format(outcome.at)
    guard
      let row = try transaction.query(
        """
        UPDATE deliveries SET
          state = CASE WHEN withdrawn IS NOT NULL AND $1::text != 'delivered' THEN withdrawn ELSE $1::text END,
          due_at = CASE WHEN withdrawn IS NOT NULL THEN due_at ELSE COALESCE($2, due_at) END,
          attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, updated_at = $3,
          last_status = $4, last_error = $5,
          delivered_at = CASE WHEN $1::text = 'delivered' THEN $3 ELSE delivered_at END
        WHERE id = $6 AND state = 'sending' AND lease_owner = $7
        RETURNING COALESCE(withdrawn, ''), bulletin
        """,
        [
          outcome.newState.rawValue, outcome.dueAt.map(Timestamp.format), at,
          outcome.statusCode == 0 ? nil : outcome.statusCode, outcome.error,
          outcome.deliveryID.rawValue, owner,
        ]
      ).first
    else { return false }
    let mark: String = row[0]
    let withdrawn = mark.isEmpty ? nil : DeliveryState(rawValue: mark)
    var state = outcome.newState
    if let withdrawn, state != .delivered { state = withdrawn }
    transaction.audit(.attempt(outcome, withdrawn: withdrawn, owner: owner))
    if state == .dead {
      try fallBack(transaction, from: outcome, owner: owner)
    }
    if let withdrawn {
      let delivered = state == .delivered
      try releaseWaiters(
        transaction, of: outcome.deliveryID.rawValue, delivered: delivered ? row[1] : nil,
        at: outcome.at)
      if delivered && withdrawn == .cancelled {
        try addRetractionCopy(transaction, for: outcome.deliveryID, at: outcome.at)
      }
    }
    return true
  }

  /// After a delivery died: a new delivery to the recipient's next
  /// contact, or the recipient recorded as unreachable for this message.
  private static func fallBack(
    _ transaction: PostgresTransaction, from outcome: AttemptRecord, owner: String
  ) throws {
    guard
      let row = try transaction.query(
        "SELECT \(StoreRows.deliveryColumns), contacts FROM deliveries WHERE id = $1",
        [outcome.deliveryID.rawValue]
      ).first
    else { return }
    let dead = try StoreRows.delivery(from: row)
    let contacts = try JSONCoding.decoder().decode(
      [Contact].self, from: Data((row[StoreRows.deliveryColumnCount] as String).utf8))
    guard let next = FallbackContact.next(after: dead, contacts: contacts, at: outcome.at) else {
      var detail = ["recipient": dead.recipientID, "contacts_tried": String(contacts.count)]
      if outcome.statusCode != 0 { detail["status"] = String(outcome.statusCode) }
      transaction.audit(
        AuditEvent(
          kind: "recipient.unreachable", at: outcome.at, messageID: dead.messageID,
          deliveryID: dead.id, actor: owner,
          detail: detail, personal: ["reason": outcome.error ?? "failed"]))
      return
    }
    try insertDelivery(transaction, next, now: Timestamp.format(outcome.at))
    transaction.audit(FallbackContact.event(next, from: dead, at: outcome.at, actor: owner))
    transaction.notify(.work)
  }
}
