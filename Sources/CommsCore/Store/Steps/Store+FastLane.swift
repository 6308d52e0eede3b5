import Foundation

/// Flash taken by the daemon: intake, plan and lease in one transaction.
extension Store {
  /// The fast lane for a flash message the daemon takes itself: accepts
  /// `message`, writes `plan` (made for it) and leases its due deliveries to
  /// `owner` until `until`, all in one durable transaction ahead of everyday
  /// writes, so the message reaches the transport without waiting for the
  /// planner's and the dispatcher's turns at the store. Returns the outcome
  /// and the leased deliveries (none for a duplicate, whose plan is not
  /// written).
  public func acceptPlannedAndLeased(
    _ message: Message, fingerprint: String, plan: StreamedPlan, owner: String, until: Date
  ) async throws -> (AcceptOutcome, [Delivery]) {
    try await write(.urgent) { transaction in
      let outcome = try transaction.accept(message, fingerprint: fingerprint)
      guard case .accepted = outcome else { return (outcome, []) }
      let at = message.acceptedAt
      try transaction.plan(plan, at: at)
      let nowText = Timestamp.format(at)
      // What the plan made ready now (a lease, taking only fresh deliveries).
      let leased = try transaction.leased(
        transaction.rows(
          """
          UPDATE deliveries SET state = 'sending', lease_owner = ?1, lease_until = ?2, updated_at = ?3
          WHERE message_id = ?4 AND state = 'ready' AND due_at <= ?3
          RETURNING \(StoreRows.deliveryColumns)
          """, [owner, Timestamp.format(until), nowText, message.id.rawValue]),
        owner: owner, at: at)
      if !leased.isEmpty {
        try transaction.audit(
          .leased(
            leased, by: owner, at: at, until: until, message: message.id, lane: "flash at intake"))
      }
      return (outcome, leased)
    }
  }
}
