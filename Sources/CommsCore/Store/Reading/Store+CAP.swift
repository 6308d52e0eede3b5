import Foundation

/// Look-ups for CAP 1.2: finding the message an Update or Cancel refers
/// to, following it to its newest version, and what export needs to know
/// of a cancellation.
extension Store {
  /// Uses the `messages_cap` index. Should one alert be stored more than once
  /// (a CAP identity sent again under another idempotency key), the first
  /// accepted is the one meant.
  public func message(capSender: String, identifier: String) async throws -> MessageID? {
    try await read { reader in
      try reader.strings(
        """
        SELECT id FROM messages WHERE cap_sender = ? AND cap_identifier = ?
        ORDER BY accepted_at, id LIMIT 1
        """, [capSender, identifier]
      ).first.map(MessageID.init(rawValue:))
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
        let at = (row[0] as String?).flatMap(Timestamp.parse)
      else { return nil }
      return CancellationRecord(
        at: at, reason: row[1] ?? "",
        retraction: (row[2] as String?).map(MessageID.init(rawValue:)))
    }
  }
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
