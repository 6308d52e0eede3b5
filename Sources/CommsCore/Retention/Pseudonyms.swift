import Foundation

/// What the retention period replaces, as every store rewrites it: keyed
/// hashes (`KeyedHash`) for contact addresses and bodies; ids, subjects,
/// states and times stay.
enum Pseudonyms {
  /// A delivery's stored contact list (JSON) with every address a pseudonym.
  static func contacts(_ stored: String, hash: KeyedHash) throws -> String {
    let list = try JSONCoding.decoder().decode([Contact].self, from: Data(stored.utf8))
    return Contact.json(
      list.map { contact in
        switch contact {
        case .email(let address): .email(address: hash.pseudonym(address))
        case .webhook(let endpoint, let address):
          .webhook(endpoint: endpoint, address: hash.pseudonym(address))
        }
      })
  }

  /// A message's stored contents (JSON) with every body a pseudonym and the subjects kept.
  /// `subjects`: the subjects too (a conversation's name the person who asked).
  static func contents(_ stored: String, hash: KeyedHash, subjects: Bool = false) throws -> String {
    var contents = try JSONCoding.decoder().decode(
      [String: MessageContent].self, from: Data(stored.utf8))
    for (language, content) in contents {
      contents[language] = MessageContent(
        subject: subjects ? hash.pseudonym(content.subject) : content.subject,
        body: hash.pseudonym(content.body),
        sms: content.sms.map { hash.pseudonym($0) })
    }
    return JSONCoding.string(contents)
  }

  /// The `message.pseudonymised` event.
  static func event(
    _ id: MessageID, at now: Date, period: String, deliveries: Int, rewritten: Int
  ) -> AuditEvent {
    AuditEvent(
      kind: "message.pseudonymised", at: now, messageID: id, actor: "commsd",
      detail: [
        "period": period, "deliveries": String(deliveries), "audit_events": String(rewritten),
      ])
  }
}

/// What one retention pass did.
public struct RetentionOutcome: Sendable, Equatable {
  public var messages = 0
  public var deliveries = 0
  public var auditEvents = 0
  /// Inquiries whose text and addresses were replaced.
  public var inquiries = 0
  /// Drafts sent or discarded before the period, deleted.
  public var drafts = 0
  public init() {}
}

extension Store {
  /// A retention pass as every store runs it: the candidates a hundred at a
  /// time, each message rewritten by `pseudonymise` (which returns how many
  /// deliveries and audit events it rewrote), then `cleanUp` once if any
  /// was (SQLite empties its write-ahead log, PostgreSQL vacuums).
  func retentionPass(
    before cutoff: Date, hash: KeyedHash, at now: Date,
    pseudonymise: (MessageID) async throws -> (deliveries: Int, auditEvents: Int),
    cleanUp: () async throws -> Void
  ) async throws -> RetentionOutcome {
    var outcome = RetentionOutcome()
    while true {
      let candidates = try await read { reader in
        try Self.retentionCandidates(reader, before: cutoff)
      }
      if candidates.isEmpty { break }
      for id in candidates {
        let done = try await pseudonymise(MessageID(rawValue: id))
        outcome.messages += 1
        outcome.deliveries += done.deliveries
        outcome.auditEvents += done.auditEvents
      }
    }
    let inquiries = try await pseudonymiseInquiries(before: cutoff, hash: hash, at: now)
    outcome.inquiries = inquiries.inquiries
    outcome.auditEvents += inquiries.auditEvents
    outcome.drafts = try await deleteClosedDrafts(before: cutoff, at: now)
    if outcome.messages > 0 || inquiries.inquiries > 0 || outcome.drafts > 0 { try await cleanUp() }
    return outcome
  }

  /// Messages accepted before `cutoff`, not yet pseudonymised, whose
  /// deliveries are all final: the next hundred, oldest first.
  static func retentionCandidates(_ reader: StoreReader, before cutoff: Date) throws -> [String] {
    let finalStates = DeliveryState.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }
      .joined(separator: ", ")
    return try reader.strings(
      """
      SELECT id FROM messages m
      WHERE pseudonymised_at IS NULL AND accepted_at < ?
        AND (planned_at IS NOT NULL OR cancelled_at IS NOT NULL)
        AND NOT EXISTS (
          SELECT 1 FROM deliveries d
          WHERE d.message_id = m.id AND d.state NOT IN (\(finalStates)))
      ORDER BY accepted_at LIMIT 100
      """, [Timestamp.format(cutoff)])
  }
}
