import Foundation

/// Look-ups for CAP 1.2: finding the message an Update or Cancel refers
/// to, following it to its newest version, and what export needs to know
/// of a cancellation.
extension Store {
  /// Uses the `messages_cap` index. One alert may be stored more than once:
  /// each principal (API token, the operators) keeps its own under its own
  /// idempotency key (see `CAPIntake.referenced`, which picks).
  public func capMessages(capSender: String, identifier: String) async throws
    -> [CAPStoredMessage]
  {
    try await read { reader in
      try reader.rows(
        """
        SELECT id, idempotency_key, audiences FROM messages
        WHERE cap_sender = ? AND cap_identifier = ?
        ORDER BY accepted_at, id
        """, [capSender, identifier]
      ).map { row in
        // A row that cannot be read throws: no audiences would look in every scope.
        CAPStoredMessage(
          id: MessageID(rawValue: try row[0]), idempotencyKey: try row[1],
          audiences: try JSONCoding.decoder().decode(
            [String].self, from: Data((row[2] as String).utf8)))
      }
    }
  }

  /// Follows `supersedes` forward in one read, so the chain is seen as one
  /// state. A message is superseded at most once (`messages_superseded_by`
  /// is unique), so the chain cannot fork; the step limit only guards
  /// against a store edited by hand into a cycle.
  public func latestVersion(of id: MessageID) async throws -> (id: MessageID, cancelledAt: Date?) {
    try await read { reader in
      var latest = id.rawValue
      for _ in 0..<10_000 {
        guard
          let newer = try reader.strings(
            "SELECT id FROM messages WHERE supersedes = ?", [latest]
          ).first
        else { break }
        latest = newer
      }
      let cancelled: String? = try reader.rows(
        "SELECT cancelled_at FROM messages WHERE id = ?", [latest]
      ).first?[0]
      return (MessageID(rawValue: latest), cancelled.flatMap(Timestamp.parse))
    }
  }

  /// How `id` was cancelled (`commsd cancel`, a CAP Cancel): when, why, and
  /// the retraction sent for it, if any; nil if it was not cancelled (or
  /// does not exist).
  public func cancellation(of id: MessageID) async throws -> CancellationRecord? {
    try await read { reader in
      guard
        let row = try reader.rows(
          """
          SELECT cancelled_at, cancel_reason,
            (SELECT r.id FROM messages r WHERE r.retraction_of = messages.id)
          FROM messages WHERE id = ? AND cancelled_at IS NOT NULL
          """, [id.rawValue]
        ).first,
        let at = (try row[0] as String?).flatMap(Timestamp.parse)
      else { return nil }
      return CancellationRecord(
        at: at, reason: try row[1] ?? "",
        retraction: (try row[2] as String?).map(MessageID.init(rawValue:)))
    }
  }
}

/// A message that came in as a CAP alert, as far as an Update or Cancel
/// referring to it needs to know: whose it is and whom it reached.
public struct CAPStoredMessage: Sendable, Equatable {
  public var id: MessageID
  /// Tells which principal fed it (`CAPIntake.idempotencyKey`).
  public var idempotencyKey: String?
  public var audiences: [String]
}

/// A cancellation as the store keeps it.
public struct CancellationRecord: Sendable, Equatable {
  public var at: Date
  public var reason: String
  /// The retraction sent to those who got the message (`--notify`), if any.
  public var retraction: MessageID?

  public init(at: Date, reason: String, retraction: MessageID?) {
    self.at = at
    self.reason = reason
    self.retraction = retraction
  }
}
