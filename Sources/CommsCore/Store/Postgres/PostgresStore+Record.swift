import Foundation

/// Writing the outcomes of attempts, and falling back to the next contact.
extension PostgresStore {
  /// All outcomes of a batch in one statement (arrays unnested into rows):
  /// a statement per outcome cost about as much again in PostgreSQL as the
  /// rest of a delivery. What each row then needs (its event, a fallback,
  /// waiters released) follows in the batch's order.
  public func record(_ outcomes: [AttemptRecord], owner: String) async throws -> Int {
    guard !outcomes.isEmpty else { return 0 }
    return try await pool.write { transaction in
      var written = try Self.updateLeased(outcomes, owner: owner, in: transaction)
      var skipped = 0
      for outcome in outcomes {
        // Absent: no longer leased to `owner` (its lease ran out and another
        // node took it), or its outcome came twice (one row, one event).
        guard let (mark, bulletin) = written.removeValue(forKey: outcome.deliveryID.rawValue)
        else {
          skipped += 1
          continue
        }
        try StoreTransaction(connection: .postgres(transaction)).recorded(
          outcome, withdrawn: mark.isEmpty ? nil : DeliveryState(rawValue: mark),
          bulletin: bulletin, owner: owner)
      }
      return skipped
    }
  }

  /// Moves the deliveries of `outcomes` still leased to `owner` to their
  /// new state, as `SQLiteStore.record` does one by one; returns, per
  /// delivery written, its withdrawal mark ("" if none) and its bulletin.
  private static func updateLeased(
    _ outcomes: [AttemptRecord], owner: String, in transaction: PostgresTransaction
  ) throws -> [String: (String, Int)] {
    let rows = try transaction.query(
      """
      UPDATE deliveries d SET
        state = CASE WHEN d.withdrawn IS NOT NULL AND o.state NOT IN ('delivered', 'sent')
          THEN d.withdrawn ELSE o.state END,
        due_at = CASE WHEN d.withdrawn IS NOT NULL AND o.state != 'sent' THEN d.due_at
          ELSE COALESCE(o.due, d.due_at) END,
        attempts = d.attempts + 1, lease_owner = NULL, lease_until = NULL, updated_at = o.at,
        last_status = o.status, last_error = o.error,
        delivered_at = CASE WHEN o.state = 'delivered' THEN o.at ELSE d.delivered_at END,
        sent_at = CASE WHEN o.state = 'sent' THEN o.at ELSE d.sent_at END,
        provider_ref = COALESCE(o.ref, d.provider_ref)
      FROM unnest(
          $1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $8::text[])
        AS o(id, state, due, at, status, error, ref)
      WHERE d.id = o.id AND \(DeliveryTransition.record.condition("d.state")) AND d.lease_owner = $7
      RETURNING d.id, COALESCE(d.withdrawn, ''), d.bulletin
      """,
      [
        PostgresArray.text(outcomes.map(\.deliveryID.rawValue)),
        PostgresArray.text(outcomes.map(\.newState.rawValue)),
        PostgresArray.text(outcomes.map { $0.dueAt.map(Timestamp.format) }),
        PostgresArray.text(outcomes.map { Timestamp.format($0.at) }),
        PostgresArray.text(outcomes.map { $0.statusCode == 0 ? nil : String($0.statusCode) }),
        PostgresArray.text(outcomes.map(\.error)), owner,
        PostgresArray.text(outcomes.map(\.providerRef)),
      ])
    return try rows.reduce(into: [:]) {
      $0[try $1[0] as String] = (try $1[1] as String, try $1[2] as Int)
    }
  }
}
