import Foundation

/// Leased deliveries given back without an attempt. Taking leases and
/// taking back expired ones stay with each store: there they differ in how
/// nodes share rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
extension Store {
  /// Returns deliveries leased to `owner` but never started to `ready`
  /// (graceful shutdown); not counted as an attempt.
  public func release(_ ids: [DeliveryID], owner: String, at: Date) async throws {
    try await returnLeases(
      ids.map { ($0, nil) }, .release, owner: owner, at: at,
      detail: ["reason": "daemon stopping before sending them"])
  }

  /// Returns deliveries leased to `owner` to `ready` with a later due time
  /// (their endpoint is paused or its breaker open); not an attempt.
  public func postpone(_ items: [(DeliveryID, Date)], owner: String, at: Date) async throws {
    try await returnLeases(
      items.map { ($0.0, $0.1) }, .postpone, owner: owner, at: at,
      detail: [
        "reason": "endpoint paused (Retry-After) or circuit breaker open",
        "until": items.map { Timestamp.format($0.1) }.max() ?? "",
      ])
  }

  /// The deliveries leased to `owner` now whose lease ends within `until`
  /// (the ends that leases which failed asked for).
  public func leased(to owner: String, until: ClosedRange<Date>) async throws -> Set<DeliveryID> {
    try await read { reader in
      Set(
        try reader.strings(
          """
          SELECT id FROM deliveries
          WHERE state = 'sending' AND lease_owner = ? AND lease_until BETWEEN ? AND ?
          """,
          [owner, Timestamp.format(until.lowerBound), Timestamp.format(until.upperBound)]
        ).map(DeliveryID.init(rawValue:)))
    }
  }

  /// Returns deliveries leased to `owner` that it never held: the lease
  /// was committed, but its answer was lost (the connection broke during
  /// the commit, as in a failover), so the node took the lease for failed.
  /// Otherwise they would wait for the lease to run out.
  public func returnUnconfirmed(_ ids: [DeliveryID], owner: String, at: Date) async throws {
    try await returnLeases(
      ids.map { ($0, nil) }, .release, owner: owner, at: at,
      detail: [
        "reason":
          "leased by a transaction whose answer was lost (the store failed over or the connection broke); never sent by this node"
      ])
  }

  /// Gives leased deliveries back (`ready`, due at their new time if one is
  /// given), with one audit event; those withdrawn meanwhile end in the
  /// withdrawal's state and free their waiters. One no longer leased to
  /// `owner` (its lease ran out and another node took it) is left alone.
  private func returnLeases(
    _ items: [(DeliveryID, Date?)], _ transition: DeliveryTransition, owner: String, at: Date,
    detail: [String: String]
  ) async throws {
    guard !items.isEmpty else { return }
    try await write { transaction in
      let now = Timestamp.format(at)
      for (id, due) in items {
        let row = try transaction.row(
          """
          UPDATE deliveries SET state = COALESCE(withdrawn, 'ready'), due_at = COALESCE(?, due_at),
            lease_owner = NULL, lease_until = NULL, updated_at = ?
          WHERE id = ? AND \(transition.condition()) AND lease_owner = ?
          RETURNING withdrawn
          """, [due.map(Timestamp.format), now, id.rawValue, owner])
        if let row, (try row[0] as String?) != nil {
          try transaction.releaseWaiters(of: id.rawValue, delivered: nil, at: at)
        }
      }
      var detail = detail
      detail["count"] = String(items.count)
      detail["deliveries"] = items.map(\.0.rawValue).joined(separator: ",")
      try transaction.audit(
        AuditEvent(kind: transition.event, at: at, actor: owner, detail: detail))
      transaction.notify(.work)
    }
  }
}
