import Foundation
import GRDB

/// The retention period: a message's bodies and contact data, and the
/// personal data of its audit events, replaced by keyed hashes.
extension SQLiteStore {
  public typealias RetentionOutcome = CommsCore.RetentionOutcome

  /// Deliveries rewritten per transaction: a 100,000-recipient message is
  /// done in steps, and an intake waiting for the writer goes between them.
  static let retentionStep = 2000

  /// Pseudonymises every message accepted before `cutoff` whose deliveries
  /// have all reached a final state. Idempotent: a pass stopped half-way (a
  /// crash) is finished by the next one.
  ///
  /// Kept readable: ids (recipient, message, delivery), audiences, states,
  /// times, status codes, subjects, and the audit chain itself. Replaced:
  /// bodies, recipient names, every contact address (also the fallback
  /// contacts), error texts, and the personal data beside audit events.
  /// The store runs with `secure_delete`, so the old bytes are overwritten
  /// rather than left in free space; the write-ahead log is emptied after
  /// the pass (`wal_checkpoint(TRUNCATE)`), since it holds old page images.
  public func applyRetention(
    before cutoff: Date, hash: KeyedHash, at now: Date, period: String
  ) async throws -> RetentionOutcome {
    try await retentionPass(
      before: cutoff,
      pseudonymise: { try await pseudonymise($0, hash: hash, at: now, period: period) },
      cleanUp: { try await emptyWriteAheadLog() })
  }

  /// One message, in steps of `retentionStep` deliveries; the last step also
  /// rewrites the message and its audit events, marks it and audits it.
  private func pseudonymise(
    _ id: MessageID, hash: KeyedHash, at now: Date, period: String
  ) async throws -> (deliveries: Int, auditEvents: Int) {
    var deliveries = 0
    while true {
      await urgent.yield()
      let step = try await pool.write { db -> (deliveries: Int, auditEvents: Int?) in
        let count = try Self.pseudonymiseDeliveries(db, of: id, hash: hash)
        guard count < Self.retentionStep else { return (count, nil) }
        return (count, try Self.pseudonymiseMessage(db, id, hash: hash, at: now, period: period))
      }
      deliveries += step.deliveries
      if let events = step.auditEvents { return (deliveries, events) }
    }
  }

  /// Up to `retentionStep` of the message's deliveries not yet rewritten.
  static func pseudonymiseDeliveries(_ db: Database, of id: MessageID, hash: KeyedHash) throws
    -> Int
  {
    let rows = try Row.fetchAll(
      db,
      sql: """
        SELECT id, recipient_name, address, contacts, last_error FROM deliveries
        WHERE message_id = ? AND substr(address, 1, \(KeyedHash.prefix.utf8.count)) <> ?
        LIMIT \(retentionStep)
        """, arguments: [id.rawValue, KeyedHash.prefix])
    let update = try db.cachedStatement(
      sql: """
        UPDATE deliveries SET recipient_name = ?, address = ?, contacts = ?, last_error = ?
        WHERE id = ?
        """)
    var contactLists: [String: String] = [:]
    for row in rows {
      let stored: String = row[3]
      let contacts = try contactLists[stored] ?? Pseudonyms.contacts(stored, hash: hash)
      contactLists[stored] = contacts
      try update.execute(arguments: [
        hash.pseudonym(row[1]), hash.pseudonym(row[2]), contacts,
        (row[4] as String?).map(hash.pseudonym), row[0] as String,
      ])
    }
    return rows.count
  }

  /// The message's bodies, its audit events' personal data, the mark, and
  /// the `message.pseudonymised` event. Returns how many events it rewrote.
  static func pseudonymiseMessage(
    _ db: Database, _ id: MessageID, hash: KeyedHash, at now: Date, period: String
  ) throws -> Int {
    let at = Timestamp.format(now)
    if let stored = try String.fetchOne(
      db, sql: "SELECT contents FROM messages WHERE id = ?", arguments: [id.rawValue])
    {
      try db.execute(
        sql: "UPDATE messages SET contents = ?, pseudonymised_at = ? WHERE id = ?",
        arguments: [try Pseudonyms.contents(stored, hash: hash), at, id.rawValue])
    }
    let events = try Row.fetchAll(
      db,
      sql: "SELECT seq, personal FROM audit_events WHERE message_id = ? AND personal IS NOT NULL",
      arguments: [id.rawValue])
    var rewritten = 0
    for event in events {
      let stored: String = event[1]
      let pseudonymised = AuditPersonal.pseudonymised(stored, with: hash, at: at)
      guard pseudonymised != stored else { continue }
      try db.execute(
        sql: "UPDATE audit_events SET personal = ? WHERE seq = ?",
        arguments: [pseudonymised, event[0] as Int64])
      rewritten += 1
    }
    let deliveries =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM deliveries WHERE message_id = ?", arguments: [id.rawValue])
      ?? 0
    try insertAudit(
      db,
      Pseudonyms.event(id, at: now, period: period, deliveries: deliveries, rewritten: rewritten))
    return rewritten
  }

  /// Copies the write-ahead log into the database file and truncates it, so
  /// no old page image (with the values just replaced) stays in it.
  /// Waits (the busy handler, up to 30 s) for readers of older snapshots.
  func emptyWriteAheadLog() async throws {
    await urgent.yield()
    try await pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
    }
  }
}
