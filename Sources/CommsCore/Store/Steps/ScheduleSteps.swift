import Foundation

/// Scheduled release (`Message.notBefore`): a scheduled message takes its
/// bulletin numbers when it is released, not when it is accepted, and one
/// superseded before its release never goes.
extension StoreTransaction {
  /// Numbers the audiences of message `id` that have none yet, but not
  /// those in `except` (waiting for approval or rejected: they take theirs
  /// when approved). The caller leaves out a conversation, which takes none.
  func numberAtRelease(_ id: MessageID, audiences: [String], except: Set<String>) throws {
    let numbered = Set(try bulletins(of: id).keys)
    let due = Set(audiences).subtracting(except).subtracting(numbered)
    if !due.isEmpty { _ = try numberBulletins(id, audiences: due) }
  }

  /// Whether message `id` is scheduled and not yet released: an audience
  /// approved (or sent on timeout) before its release takes its number at
  /// the release, with the rest.
  func awaitsRelease(_ id: MessageID) throws -> Bool {
    try row(
      "SELECT 1 FROM messages WHERE id = ? AND planned_at IS NULL AND not_before IS NOT NULL",
      [id.rawValue]) != nil
  }

  /// A superseding message's acceptance: a predecessor scheduled and not
  /// yet released never goes (nothing of it has reached anybody, so there
  /// is nothing to withdraw, only its release to call off).
  func withdrawScheduledPredecessor(_ old: MessageID, by new: Message) throws {
    let at = Timestamp.format(new.acceptedAt)
    guard
      try !rows(
        """
        UPDATE messages SET planned_at = ?
        WHERE id = ? AND planned_at IS NULL AND not_before IS NOT NULL AND not_before > ?
        RETURNING id
        """, [at, old.rawValue, at]
      ).isEmpty
    else { return }
    try audit(
      AuditEvent(
        kind: DeliveryTransition.plan.event, at: new.acceptedAt, messageID: old, actor: "commsd",
        detail: ["deliveries": "0", "superseded_by": new.id.rawValue, "scheduled": "withdrawn"]))
  }
}
