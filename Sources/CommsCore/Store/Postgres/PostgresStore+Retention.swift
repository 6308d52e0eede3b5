import Foundation

/// The retention period on PostgreSQL: the same rewrite as SQLite's
/// (`SQLiteStore.applyRetention`), in steps, then `VACUUM` of the three
/// tables, which removes the old row versions that still held the values.
/// What PostgreSQL has already written to its WAL archive and to backups
/// ages out with their own retention: that is the database operator's to
/// set (see README, "Scale-out").
extension PostgresStore {
  /// One node's pass at a time; a node that finds another's running does
  /// nothing now (the other covers the same messages).
  public func applyRetention(
    before cutoff: Date, hash: KeyedHash, at now: Date, period: String
  ) async throws -> RetentionOutcome {
    try await turns.turn(.retention) {
      try await retentionPass(
        before: cutoff,
        pseudonymise: { try await pseudonymise($0, hash: hash, at: now, period: period) },
        cleanUp: {
          try await pool.withConnection { connection in
            _ = try connection.execute("VACUUM messages, deliveries, audit_events")
          }
        })
    } ?? RetentionOutcome()
  }

  /// One message, in steps of `SQLiteStore.retentionStep` deliveries; the
  /// last step rewrites the message and its audit events, marks it and
  /// audits it.
  private func pseudonymise(
    _ id: MessageID, hash: KeyedHash, at now: Date, period: String
  ) async throws -> (deliveries: Int, auditEvents: Int) {
    var deliveries = 0
    while true {
      let step = try await pool.write { transaction -> (deliveries: Int, auditEvents: Int?) in
        guard
          let row = try transaction.query(
            "SELECT contents FROM messages WHERE id = $1 FOR UPDATE", [id.rawValue]
          ).first
        else { throw StoreError.corrupt("message \(id) vanished during retention") }
        let count = try Self.pseudonymiseDeliveries(transaction, of: id, hash: hash)
        guard count < SQLiteStore.retentionStep else { return (count, nil) }
        return (
          count,
          try Self.pseudonymiseMessage(
            transaction, id, contents: row[0], hash: hash, at: now, period: period)
        )
      }
      deliveries += step.deliveries
      if let events = step.auditEvents { return (deliveries, events) }
    }
  }

  private static func pseudonymiseDeliveries(
    _ transaction: PostgresTransaction, of id: MessageID, hash: KeyedHash
  ) throws -> Int {
    let rows = try transaction.query(
      """
      SELECT id, recipient_name, address, contacts, last_error FROM deliveries
      WHERE message_id = $1 AND substr(address, 1, \(KeyedHash.prefix.utf8.count)) <> $2
      LIMIT \(SQLiteStore.retentionStep)
      """, [id.rawValue, KeyedHash.prefix])
    var contactLists: [String: String] = [:]
    for row in rows {
      let stored: String = try row[3]
      let contacts = try contactLists[stored] ?? Pseudonyms.contacts(stored, hash: hash)
      contactLists[stored] = contacts
      try transaction.query(
        """
        UPDATE deliveries SET recipient_name = $1, address = $2, contacts = $3, last_error = $4
        WHERE id = $5
        """,
        [
          hash.pseudonym(row[1]), hash.pseudonym(row[2]), contacts,
          (row[4] as String?).map(hash.pseudonym), row[0] as String,
        ])
    }
    return rows.count
  }

  private static func pseudonymiseMessage(
    _ transaction: PostgresTransaction, _ id: MessageID, contents: String, hash: KeyedHash,
    at now: Date, period: String
  ) throws -> Int {
    let at = Timestamp.format(now)
    try transaction.query(
      "UPDATE messages SET contents = $1, pseudonymised_at = $2 WHERE id = $3",
      [try Pseudonyms.contents(contents, hash: hash), at, id.rawValue])
    var rewritten = 0
    for event in try transaction.query(
      "SELECT seq, personal FROM audit_events WHERE message_id = $1 AND personal IS NOT NULL",
      [id.rawValue])
    {
      let stored: String = try event[1]
      let pseudonymised = AuditPersonal.pseudonymised(stored, with: hash, at: at)
      guard pseudonymised != stored else { continue }
      try transaction.query(
        "UPDATE audit_events SET personal = $1 WHERE seq = $2", [pseudonymised, event[0] as Int64])
      rewritten += 1
    }
    let deliveries: Int =
      try transaction.query(
        "SELECT COUNT(*) FROM deliveries WHERE message_id = $1", [id.rawValue]
      ).first?[0] ?? 0
    transaction.audit(
      Pseudonyms.event(id, at: now, period: period, deliveries: deliveries, rewritten: rewritten))
    return rewritten
  }
}
