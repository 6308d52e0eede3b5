import Foundation

/// Leases shared by several nodes: each due delivery is taken by one node
/// (`FOR UPDATE SKIP LOCKED`), and a dead node's leases run out and go back.
extension PostgresStore {
  public func lease(
    owner: String, now: Date, until: Date, limit: Int, excluding: LeaseExclusion = LeaseExclusion()
  ) async throws -> [Delivery] {
    try await pool.write { transaction in
      let nowText = Timestamp.format(now)
      try StoreTransaction(connection: .postgres(transaction)).applyExpiries(now: now)
      try Self.releaseHeld(transaction, now: now)
      var filter = ""
      var parameters: [(any PostgresParameter)?] = [
        owner, Timestamp.format(until), nowText, nowText, limit,
      ]
      if excluding.email { filter += " AND channel != 'email'" }
      if !excluding.endpoints.isEmpty {
        let marks = (0..<excluding.endpoints.count).map { "$\(parameters.count + 1 + $0)" }
        filter += " AND (endpoint IS NULL OR endpoint NOT IN (\(marks.joined(separator: ", "))))"
        parameters += excluding.endpoints.sorted() as [String]
      }
      // Rows another node is leasing right now are skipped, not waited for.
      let rows = try transaction.query(
        """
        UPDATE deliveries SET state = 'sending', lease_owner = $1, lease_until = $2, updated_at = $3
        WHERE id IN (SELECT id FROM deliveries WHERE \(DeliveryTransition.lease.condition()) AND due_at <= $4\(filter)
                     ORDER BY lane, due_at LIMIT $5 FOR UPDATE SKIP LOCKED)
        RETURNING \(StoreRows.deliveryColumns)
        """, parameters)
      let deliveries = try StoreTransaction(connection: .postgres(transaction)).leased(
        rows, owner: owner, at: now)
      if !deliveries.isEmpty {
        transaction.audit(.leased(deliveries, by: owner, at: now, until: until))
      }
      return deliveries
    }
  }

  /// Held deliveries whose time has come become ready, in the leasing
  /// transaction; those another node is releasing right now are left to it.
  static func releaseHeld(_ transaction: PostgresTransaction, now: Date) throws {
    let nowText = Timestamp.format(now)
    let rows = try transaction.query(
      """
      WITH due AS (
        SELECT id, COALESCE(hold_reason, 'unknown') AS reason FROM deliveries
        WHERE \(DeliveryTransition.releaseHeld.condition()) AND due_at <= $1
          AND COALESCE(hold_reason, '') NOT IN ($2, $3)
        FOR UPDATE SKIP LOCKED)
      UPDATE deliveries SET state = 'ready', hold_reason = NULL, updated_at = $1
      FROM due WHERE deliveries.id = due.id
      RETURNING deliveries.id, due.reason
      """, [nowText, HoldReason.digest.rawValue, HoldReason.capToDigest.rawValue])
    guard !rows.isEmpty else { return }
    var detail = [
      "count": String(rows.count),
      "deliveries": try rows.map { try $0[0] as String }.joined(separator: ","),
    ]
    let reasons = try rows.reduce(into: [String: Int]()) {
      $0[try $1[1] as String, default: 0] += 1
    }
    for (reason, count) in reasons { detail["held.\(reason)"] = String(count) }
    transaction.audit(
      AuditEvent(kind: "delivery.released", at: now, actor: "commsd", detail: detail))
  }

  public func renewLeases(_ ids: [DeliveryID], owner: String, until: Date, at: Date)
    async throws -> Set<DeliveryID>
  {
    guard !ids.isEmpty else { return [] }
    return try await pool.write { transaction in
      let renewed: [String] = try transaction.query(
        """
        UPDATE deliveries SET lease_until = $1
        WHERE state = 'sending' AND lease_owner = $2 AND id = ANY($3::text[])
        RETURNING id
        """, [Timestamp.format(until), owner, PostgresArray.text(ids.map(\.rawValue))]
      ).map { try $0[0] }
      if !renewed.isEmpty {
        transaction.audit(.leaseRenewed(renewed, by: owner, at: at, until: until))
      }
      return Set(renewed.map(DeliveryID.init(rawValue:)))
    }
  }

  /// Returns expired leases to the queue. Several nodes share this store,
  /// so `all` (every lease, as the only daemon on an SQLite store may at
  /// start) is refused: a running node's leases are its own.
  public func reclaimLeases(now: Date, all: Bool) async throws -> Int {
    try await putBack(
      where: "lease_until < $2", [Timestamp.format(now)], at: now, reason: "lease expired")
  }

  /// At a node's start: the leases of earlier runs of commsd that have
  /// provably ended (a crash, a restart on this host; see
  /// `LeaseOwner.hasEnded`) go back at once rather than when they run out;
  /// those of live processes, and of any run it cannot tell about (another
  /// container or a clone with the same host name), stay.
  public func reclaimLeases(
    ofEndedRunsOf me: LeaseOwner, now: Date,
    isAlive: (Int32) -> Bool = LeaseOwner.processExists
  ) async throws -> Int {
    let owners = try await read { reader in
      try reader.strings(
        "SELECT DISTINCT lease_owner FROM deliveries WHERE state = 'sending' AND lease_owner LIKE ?",
        [
          me.host.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
            of: "_", with: "\\_") + ":%"
        ])
    }
    let ended = owners.filter { owner in
      LeaseOwner(parsing: owner).map { me.hasEnded($0, isAlive: isAlive) } ?? false
    }
    guard !ended.isEmpty else { return 0 }
    return try await putBack(
      where: "lease_owner = ANY($2::text[])", [PostgresArray.text(ended)], at: now,
      reason: "the node that held it ended (restarted on this host)")
  }

  /// Puts `sending` deliveries matching `condition` (with `$2 …`) back in
  /// the queue, one event each; those withdrawn meanwhile end and free
  /// their waiters. Rows another node is returning now are skipped.
  private func putBack(
    where condition: String, _ parameters: [String], at now: Date, reason: String
  ) async throws -> Int {
    try await pool.write { transaction in
      let rows = try transaction.query(
        """
        WITH taken AS (
          SELECT id FROM deliveries WHERE \(DeliveryTransition.reclaim.condition()) AND \(condition)
          FOR UPDATE SKIP LOCKED)
        UPDATE deliveries SET state = COALESCE(withdrawn, 'ready'), lease_owner = NULL,
          lease_until = NULL, updated_at = $1
        FROM taken WHERE deliveries.id = taken.id
        RETURNING deliveries.id, deliveries.message_id, deliveries.withdrawn
        """, [Timestamp.format(now)] + parameters)
      for row in rows {
        if (try row[2] as String?) != nil {
          try StoreTransaction(connection: .postgres(transaction)).releaseWaiters(
            of: row[0], delivered: nil, at: now)
        }
        transaction.audit(
          AuditEvent(
            kind: "delivery.lease_returned", at: now, messageID: MessageID(rawValue: try row[1]),
            deliveryID: DeliveryID(rawValue: try row[0]), actor: "commsd",
            detail: ["reason": reason]))
      }
      if !rows.isEmpty { transaction.notify(.work) }
      return rows.count
    }
  }
}
