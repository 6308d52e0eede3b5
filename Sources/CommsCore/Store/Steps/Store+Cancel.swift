import Foundation

/// `commsd cancel`: withdrawal, and the retraction to those who got it.
extension Store {
  /// Cancels a message: what has not gone is withdrawn, what is in flight
  /// is marked, and with a retraction every reader who got it is told. It
  /// goes ahead of everyday writes.
  public func cancel(_ cancellation: Cancellation) async throws -> CancelOutcome {
    try await write(.urgent) { transaction in try transaction.cancel(cancellation) }
  }
}

extension StoreTransaction {
  /// All in one transaction, so nobody who got the message is missed: a
  /// delivery is either delivered now (and gets its copy of the retraction
  /// here) or in flight (marked; if it arrives, its copy is added when its
  /// outcome is written) or withdrawn. On a shared store the message's row
  /// is locked first, so a cancel on another node waits and then finds it
  /// cancelled.
  func cancel(_ cancellation: Cancellation) throws -> CancelOutcome {
    let id = cancellation.messageID
    guard
      let row = try row(
        "SELECT cancelled_at, pseudonymised_at, kind FROM messages WHERE id = ?\(forUpdate)",
        [id.rawValue])
    else { throw StoreError.refused(field: "id", "there is no message \(id) in this store") }
    if let refusal = cancellation.refusal(
      cancelledAt: try row[0], pseudonymisedAt: try row[1], kind: try row[2])
    {
      throw refusal
    }
    let at = cancellation.at
    try execute(
      """
      UPDATE messages SET cancelled_at = ?, cancel_reason = ?, cancelled_by = ?, next_wave_at = NULL
      WHERE id = ?
      """,
      [Timestamp.format(at), cancellation.reason, cancellation.actor.description, id.rawValue])
    try audit(
      AuditEvent(
        kind: "message.cancelled", at: at, messageID: id, actor: cancellation.actor.description,
        detail: [
          "reason": cancellation.reason,
          "retraction": cancellation.retraction?.id.rawValue ?? "",
        ]))
    // Waiting for approval: it never goes, and the approvers are not asked again.
    try withdrawApprovals(
      of: id, reason: "cancelled: \(cancellation.reason)", actor: cancellation.actor.description,
      at: at)
    let (withdrawn, inFlight) = try withdraw(
      messages: [id], as: .cancelled, at: at, actor: cancellation.actor.description,
      reason: cancellation.reason)
    guard let retraction = cancellation.retraction else {
      return CancelOutcome(withdrawn: withdrawn, inFlight: inFlight, retraction: nil, notified: 0)
    }
    _ = try accept(retraction, fingerprint: "retraction of \(id)")
    try execute(
      "UPDATE messages SET planned_at = ? WHERE id = ?",
      [Timestamp.format(at), retraction.id.rawValue])
    // Who got it: delivered, or carried by a digest that was delivered.
    let received = try rows(
      """
      SELECT \(StoreRows.deliveryColumns) FROM deliveries
      WHERE message_id = ? AND (state = 'delivered' OR (state = 'digested' AND EXISTS (
        SELECT 1 FROM deliveries d WHERE d.id = deliveries.digest_id AND d.state = 'delivered')))
      """, [id.rawValue]
    ).map(StoreRows.delivery(from:))
    for delivery in received {
      try insertRetractionCopy(of: delivery, retraction: retraction.id, at: at)
    }
    try audit(
      AuditEvent(
        kind: "message.planned", at: at, messageID: retraction.id, actor: "commsd",
        detail: ["deliveries": String(received.count), "retraction_of": id.rawValue]))
    notify(.work)
    return CancelOutcome(
      withdrawn: withdrawn, inFlight: inFlight, retraction: retraction.id,
      notified: received.count)
  }

  /// A delivery of a cancelled message arrived after the cancel: its reader
  /// gets the retraction too, if there is one.
  func addRetractionCopy(for delivery: DeliveryID, at: Date) throws {
    guard
      let row = try row(
        """
        SELECT \(StoreRows.deliveryColumns),
          (SELECT r.id FROM messages r WHERE r.retraction_of = deliveries.message_id)
        FROM deliveries WHERE id = ?
        """, [delivery.rawValue]),
      let retraction: String = try row[StoreRows.deliveryColumnCount]
    else { return }
    try insertRetractionCopy(
      of: try StoreRows.delivery(from: row), retraction: MessageID(rawValue: retraction), at: at)
    notify(.work)
  }

  private func insertRetractionCopy(of received: Delivery, retraction: MessageID, at: Date) throws {
    guard
      let row = try row(
        """
        SELECT m.priority, b.number FROM messages m
        LEFT JOIN message_bulletins b ON b.message_id = m.id AND b.audience = ?
        WHERE m.id = ?
        """, [received.audience, retraction.rawValue]),
      let priority = Priority(rawValue: try row[0])
    else { return }
    var generator = SystemRandomNumberGenerator()
    var copy = Retraction.copy(
      of: received, retraction: retraction, priority: priority, at: at, using: &generator)
    copy.bulletin = try row[1] ?? 0
    try DeliveryWriter.insert(copy, now: Timestamp.format(at), in: self)
  }
}
