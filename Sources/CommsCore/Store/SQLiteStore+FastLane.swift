import Foundation
import GRDB

/// Flash taken by the daemon: intake, plan and lease in one transaction.
extension SQLiteStore {
  public func acceptPlannedAndLeased(
    _ message: Message, fingerprint: String, plan: StreamedPlan, owner: String, until: Date
  ) async throws -> (AcceptOutcome, [Delivery]) {
    try await urgent.run {
      try await fastLane(message, fingerprint: fingerprint, plan: plan, owner: owner, until: until)
    }
  }

  private func fastLane(
    _ message: Message, fingerprint: String, plan: StreamedPlan, owner: String, until: Date
  ) async throws -> (AcceptOutcome, [Delivery]) {
    try await pool.write { db in
      let transaction = StoreTransaction(connection: .sqlite(db))
      let outcome = try transaction.accept(message, fingerprint: fingerprint)
      guard case .accepted = outcome else { return (outcome, []) }
      let at = message.acceptedAt
      try transaction.plan(plan, at: at)
      let nowText = Timestamp.format(at)
      let rows = try Row.fetchAll(
        db.cachedStatement(
          sql: """
            UPDATE deliveries SET state = 'sending', lease_owner = ?, lease_until = ?, updated_at = ?
            WHERE message_id = ? AND state = 'ready' AND due_at <= ?
            RETURNING \(StoreRows.deliveryColumns)
            """),
        arguments: [owner, Timestamp.format(until), nowText, message.id.rawValue, nowText])
      let leased = try transaction.leased(rows.map(StoredRow.init), owner: owner, at: at)
      if !leased.isEmpty {
        try Self.insertAudit(
          db,
          .leased(
            leased, by: owner, at: at, until: until, message: message.id, lane: "flash at intake"))
      }
      return (outcome, leased)
    }
  }
}
