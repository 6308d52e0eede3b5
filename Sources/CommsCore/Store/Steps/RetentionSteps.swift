import Foundation

/// The retention period's rewrite of one message, on either store: its
/// bodies and contact data, and the personal data of its audit events,
/// replaced by keyed hashes. Which messages, and what to do after a pass
/// (SQLite empties its write-ahead log, PostgreSQL vacuums), is in
/// `retentionPass` and each store's `applyRetention`.
extension Store {
  /// One message, in steps of `retentionStep` deliveries, each its own
  /// transaction (a 100,000-recipient message is done in steps, and an
  /// intake waiting for the writer goes between them); the last step also
  /// rewrites the message and its audit events, marks it and audits it.
  func pseudonymise(_ id: MessageID, hash: KeyedHash, at now: Date, period: String)
    async throws -> (deliveries: Int, auditEvents: Int)
  {
    var deliveries = 0
    while true {
      let step = try await write { transaction -> (deliveries: Int, auditEvents: Int?) in
        try transaction.pseudonymiseStep(id, hash: hash, at: now, period: period)
      }
      deliveries += step.deliveries
      if let events = step.auditEvents { return (deliveries, events) }
    }
  }
}

extension StoreTransaction {
  /// Deliveries rewritten per transaction.
  static let retentionStep = 2000

  /// Up to `retentionStep` of the message's deliveries not yet rewritten,
  /// and when those were the last, the message itself (then the number of
  /// audit events rewritten is returned too). The message's row is locked
  /// first on a shared store, so a cancel or a second pass waits.
  func pseudonymiseStep(_ id: MessageID, hash: KeyedHash, at now: Date, period: String) throws
    -> (deliveries: Int, auditEvents: Int?)
  {
    guard
      let message = try row("SELECT contents FROM messages WHERE id = ?\(forUpdate)", [id.rawValue])
    else { throw StoreError.corrupt("message \(id) vanished during retention") }
    let count = try pseudonymiseDeliveries(of: id, hash: hash)
    guard count < Self.retentionStep else { return (count, nil) }
    return (
      count,
      try pseudonymiseMessage(id, contents: try message[0], hash: hash, at: now, period: period)
    )
  }

  func pseudonymiseDeliveries(of id: MessageID, hash: KeyedHash) throws -> Int {
    let rows = try rows(
      """
      SELECT id, recipient_name, address, contacts, last_error FROM deliveries
      WHERE message_id = ? AND substr(address, 1, \(KeyedHash.prefix.utf8.count)) <> ?
      LIMIT \(Self.retentionStep)
      """, [id.rawValue, KeyedHash.prefix])
    var contactLists: [String: String] = [:]
    for row in rows {
      let stored: String = try row[3]
      let contacts = try contactLists[stored] ?? Pseudonyms.contacts(stored, hash: hash)
      contactLists[stored] = contacts
      try execute(
        """
        UPDATE deliveries SET recipient_name = ?, address = ?, contacts = ?, last_error = ?
        WHERE id = ?
        """,
        [
          hash.pseudonym(try row[1]), hash.pseudonym(try row[2]), contacts,
          (try row[4] as String?).map(hash.pseudonym), try row[0] as String,
        ])
    }
    return rows.count
  }

  /// The message's bodies, its audit events' personal data, the mark, and
  /// the `message.pseudonymised` event. Returns how many events it rewrote.
  private func pseudonymiseMessage(
    _ id: MessageID, contents: String, hash: KeyedHash, at now: Date, period: String
  ) throws -> Int {
    let at = Timestamp.format(now)
    // A conversation (a question's copy, its acknowledgement, its answer)
    // names the person in its subjects and carries the question itself.
    let conversation = try row("SELECT kind, inquiry FROM messages WHERE id = ?", [id.rawValue])
    let isConversation = MessageKind(rawValue: try conversation?[0] ?? "")?.isConversation == true
    try execute(
      "UPDATE messages SET contents = ?, pseudonymised_at = ? WHERE id = ?",
      [
        try Pseudonyms.contents(contents, hash: hash, subjects: isConversation), at,
        id.rawValue,
      ])
    if let stored: String = try conversation?[1],
      let notice = try? JSONCoding.decoder().decode(InquiryNotice.self, from: Data(stored.utf8))
    {
      try execute(
        "UPDATE messages SET inquiry = ? WHERE id = ?",
        [JSONCoding.string(notice.pseudonymised(with: hash)), id.rawValue])
    }
    // An operator's note on a confirmation taken by phone may name people.
    for confirmation in try rows(
      "SELECT recipient_id, note FROM confirmations WHERE message_id = ? AND note IS NOT NULL",
      [id.rawValue])
    {
      let note: String = try confirmation[1]
      guard !note.hasPrefix(KeyedHash.prefix) else { continue }
      try execute(
        "UPDATE confirmations SET note = ? WHERE message_id = ? AND recipient_id = ?",
        [hash.pseudonym(note), id.rawValue, try confirmation[0] as String])
    }
    let rewritten = try pseudonymisePersonal(
      of: try rows(
        "SELECT seq, personal FROM audit_events WHERE message_id = ? AND personal IS NOT NULL",
        [id.rawValue]), hash: hash, at: at)
    let deliveries: Int =
      try row("SELECT COUNT(*) FROM deliveries WHERE message_id = ?", [id.rawValue])
      .map { try $0[0] } ?? 0
    try audit(
      Pseudonyms.event(id, at: now, period: period, deliveries: deliveries, rewritten: rewritten))
    return rewritten
  }

  /// Replaces the personal data beside `events` (rows of `seq, personal`)
  /// by keyed hashes; returns how many it rewrote (those already done are
  /// left as they are).
  func pseudonymisePersonal(of events: [StoredRow], hash: KeyedHash, at: String) throws -> Int {
    var rewritten = 0
    for event in events {
      let stored: String = try event[1]
      let pseudonymised = AuditPersonal.pseudonymised(stored, with: hash, at: at)
      guard pseudonymised != stored else { continue }
      try execute(
        "UPDATE audit_events SET personal = ? WHERE seq = ?",
        [pseudonymised, try event[0] as Int64])
      rewritten += 1
    }
    return rewritten
  }
}
