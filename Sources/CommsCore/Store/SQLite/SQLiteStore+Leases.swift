import Foundation
import GRDB

/// Leases: taking due deliveries for sending, giving them back, and
/// releasing held ones whose time has come.
extension SQLiteStore {
  public func lease(
    owner: String, now: Date, until: Date, limit: Int, excluding: LeaseExclusion = LeaseExclusion()
  ) async throws -> [Delivery] {
    // A lease need not survive a power cut: if it is lost, the delivery is
    // simply `ready` again, as after a crash. So its commit skips the fsync
    // (synchronous = NORMAL); the next FULL commit (an outcome, a message)
    // syncs the write-ahead log and, in order, this commit with it.
    await urgent.yield()
    return try await pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
      var leased: [Delivery] = []
      try db.inTransaction(.immediate) {
        leased = try Self.lease(
          db, owner: owner, now: now, until: until, limit: limit, excluding: excluding)
        return .commit
      }
      return leased
    }
  }

  private static func lease(
    _ db: Database, owner: String, now: Date, until: Date, limit: Int, excluding: LeaseExclusion
  ) throws -> [Delivery] {
    let nowText = Timestamp.format(now)
    try StoreTransaction(connection: .sqlite(db)).applyExpiries(now: now)
    try releaseHeld(db, now: now)
    // Excluded targets are skipped by the scan; the statement is cached per
    // shape (how many endpoints are excluded), which stays small.
    var filter = ""
    var arguments: StatementArguments = [owner, Timestamp.format(until), nowText, nowText]
    if excluding.email { filter += " AND channel != 'email'" }
    if !excluding.endpoints.isEmpty {
      let marks = Array(repeating: "?", count: excluding.endpoints.count).joined(separator: ", ")
      filter += " AND (endpoint IS NULL OR endpoint NOT IN (\(marks)))"
      arguments += StatementArguments(excluding.endpoints.sorted())
    }
    arguments += [limit]
    let statement = try db.cachedStatement(
      sql: """
        UPDATE deliveries SET state = 'sending', lease_owner = ?, lease_until = ?, updated_at = ?
        WHERE id IN (SELECT id FROM deliveries WHERE \(DeliveryTransition.lease.condition()) AND due_at <= ?\(filter)
                     ORDER BY lane, due_at LIMIT ?)
        RETURNING \(StoreRows.deliveryColumns)
        """)
    // Read in place from the statement (`CursorRow`), not copied first.
    let cursor = try Row.fetchCursor(statement, arguments: arguments)
    let deliveries = try StoreTransaction(connection: .sqlite(db)).leased(
      reading: { try cursor.next().map { _ in CursorRow(statement) } }, owner: owner, at: now)
    if !deliveries.isEmpty {
      // One event per lease batch: the attempt events that follow name each delivery.
      try Self.insertAudit(db, .leased(deliveries, by: owner, at: now, until: until))
    }
    return deliveries
  }

  /// Held deliveries whose time has come become ready (held → ready), in the
  /// leasing transaction, so a release at 07:00 is sent in the same breath.
  /// Those held for a digest are left to the digest (`DigestBuilder`).
  static func releaseHeld(_ db: Database, now: Date) throws {
    let nowText = Timestamp.format(now)
    let digestReasons = "'\(HoldReason.digest.rawValue)', '\(HoldReason.capToDigest.rawValue)'"
    // Why they were held, counted before the update forgets it.
    let reasons = try Row.fetchAll(
      db.cachedStatement(
        sql: """
          SELECT COALESCE(hold_reason, 'unknown'), COUNT(*) FROM deliveries
          WHERE \(DeliveryTransition.releaseHeld.condition()) AND due_at <= ?
            AND COALESCE(hold_reason, '') NOT IN (\(digestReasons))
          GROUP BY 1
          """), arguments: [nowText])
    guard !reasons.isEmpty else { return }
    let rows = try Row.fetchAll(
      db.cachedStatement(
        sql: """
          UPDATE deliveries SET state = 'ready', hold_reason = NULL, updated_at = ?
          WHERE \(DeliveryTransition.releaseHeld.condition()) AND due_at <= ?
            AND COALESCE(hold_reason, '') NOT IN (\(digestReasons))
          RETURNING id
          """), arguments: [nowText, nowText])
    guard !rows.isEmpty else { return }
    var detail = [
      "count": String(rows.count),
      "deliveries": rows.map { $0[0] as String }.joined(separator: ","),
    ]
    for reason in reasons { detail["held.\(reason[0] as String)"] = String(reason[1] as Int) }
    try insertAudit(
      db, AuditEvent(kind: "delivery.released", at: now, actor: "commsd", detail: detail))
  }

  public func renewLeases(_ ids: [DeliveryID], owner: String, until: Date, at: Date)
    async throws -> Set<DeliveryID>
  {
    guard !ids.isEmpty else { return [] }
    return try await pool.write { db in
      let renewed = try String.fetchAll(
        db.cachedStatement(
          sql: """
            UPDATE deliveries SET lease_until = ?
            WHERE state = 'sending' AND lease_owner = ? AND id IN (SELECT value FROM json_each(?))
            RETURNING id
            """),
        arguments: [Timestamp.format(until), owner, JSONCoding.string(ids.map(\.rawValue))])
      if !renewed.isEmpty {
        try Self.insertAudit(db, .leaseRenewed(renewed, by: owner, at: at, until: until))
      }
      return Set(renewed.map(DeliveryID.init(rawValue:)))
    }
  }

  public func reclaimLeases(now: Date, all: Bool) async throws -> Int {
    try await pool.write { db in
      let nowText = Timestamp.format(now)
      let rows = try Row.fetchAll(
        db,
        sql: """
          UPDATE deliveries SET state = COALESCE(withdrawn, 'ready'), lease_owner = NULL,
            lease_until = NULL, updated_at = ?
          WHERE \(DeliveryTransition.reclaim.condition()) AND (? OR lease_until < ?)
          RETURNING id, message_id, lease_owner, withdrawn
          """, arguments: [nowText, all, nowText])
      for row in rows {
        // Withdrawn while in flight, outcome unknown: it is not sent again.
        if (row[3] as String?) != nil {
          try StoreTransaction(connection: .sqlite(db)).releaseWaiters(
            of: row[0], delivered: nil, at: now)
        }
        try Self.insertAudit(
          db,
          AuditEvent(
            kind: "delivery.lease_returned", at: now, messageID: MessageID(rawValue: row[1]),
            deliveryID: DeliveryID(rawValue: row[0]), actor: "commsd",
            detail: ["reason": all ? "daemon restarted" : "lease expired"]))
      }
      return rows.count
    }
  }
}
