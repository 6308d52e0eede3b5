import Foundation

/// The retention period for the questions that came back: an inquiry's
/// sender, name, subject, text and close reason, and the personal data of
/// the audit events about it, replaced by keyed hashes (ids, audience,
/// bulletin, states and times stay, so the after-action report still
/// counts them). The messages about it (its copies, acknowledgement and
/// answer) are messages, rewritten by the message retention.
extension Store {
  func pseudonymiseInquiries(before cutoff: Date, hash: KeyedHash, at now: Date) async throws
    -> (inquiries: Int, auditEvents: Int)
  {
    var inquiries = 0
    while true {
      let done = try await write { transaction in
        try transaction.pseudonymiseInquiries(before: cutoff, hash: hash, at: now)
      }
      inquiries += done
      if done < StoreTransaction.retentionStep { break }
    }
    guard inquiries > 0 else { return (0, 0) }
    // The audit events about questions carry the sender and text beside
    // them: one pass over those kinds, not a search per inquiry.
    let events = try await write { transaction in
      try transaction.pseudonymiseInquiryEvents(before: cutoff, hash: hash, at: now)
    }
    return (inquiries, events)
  }
}

extension StoreTransaction {
  func pseudonymiseInquiries(before cutoff: Date, hash: KeyedHash, at now: Date) throws -> Int {
    let rows = try rows(
      """
      SELECT id, sender, sender_name, subject, text, recipient_name, close_reason FROM inquiries
      WHERE pseudonymised_at IS NULL AND received_at < ? ORDER BY received_at
      LIMIT \(Self.retentionStep)
      """, [Timestamp.format(cutoff)])
    for row in rows {
      func hashed(_ index: Int) throws -> String? {
        (try row[index] as String?).map(hash.pseudonym)
      }
      try execute(
        """
        UPDATE inquiries SET sender = ?, sender_name = ?, subject = ?, text = ?, recipient_name = ?,
          close_reason = ?, pseudonymised_at = ?, alert_at = NULL
        WHERE id = ?
        """,
        [
          try hashed(1), try hashed(2), try hashed(3), try hashed(4), try hashed(5), try hashed(6),
          Timestamp.format(now), try row[0] as String,
        ])
    }
    return rows.count
  }

  func pseudonymiseInquiryEvents(before cutoff: Date, hash: KeyedHash, at now: Date) throws -> Int {
    try pseudonymisePersonal(
      of: try rows(
        """
        SELECT seq, personal FROM audit_events
        WHERE kind IN ('inquiry.received', 'inquiry.closed', 'inbound.automatic')
          AND at < ? AND personal IS NOT NULL AND personal NOT LIKE '%"pseudonymised_at"%'
        """, [Timestamp.format(cutoff)]), hash: hash, at: Timestamp.format(now))
  }
}
