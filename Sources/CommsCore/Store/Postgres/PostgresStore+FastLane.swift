import Foundation

/// Flash taken by a node: intake, plan and lease in one transaction.
extension PostgresStore {
  public func acceptPlannedAndLeased(
    _ message: Message, fingerprint: String, plan: StreamedPlan, owner: String, until: Date
  ) async throws -> (AcceptOutcome, [Delivery]) {
    try await pool.write { transaction in
      let steps = StoreTransaction(connection: .postgres(transaction))
      let outcome = try steps.accept(message, fingerprint: fingerprint)
      guard case .accepted = outcome else { return (outcome, []) }
      let at = message.acceptedAt
      try steps.plan(plan, at: at)
      let nowText = Timestamp.format(at)
      // The fast lane leases what the plan made ready (not a retry).
      let leased = try steps.leased(
        transaction.query(
          """
          UPDATE deliveries SET state = 'sending', lease_owner = $1, lease_until = $2, updated_at = $3
          WHERE message_id = $4 AND state = 'ready' AND due_at <= $3
          RETURNING \(StoreRows.deliveryColumns)
          """, [owner, Timestamp.format(until), nowText, message.id.rawValue]),
        owner: owner, at: at)
      if !leased.isEmpty {
        transaction.audit(
          .leased(
            leased, by: owner, at: at, until: until, message: message.id, lane: "flash at intake"))
      }
      return (outcome, leased)
    }
  }
}
