import Foundation

/// What the confirmation page shows for one delivery.
public struct ConfirmationPage: Sendable, Equatable {
  /// The message in the reader's language (marked if an exercise or test).
  public var subject: String
  public var body: String
  public var language: String
  public var recipientName: String
  public var acceptedAt: Date
  /// Nil when the message asks for no confirmation.
  public var deadline: Date?
  /// When the person confirmed, by any way, if they did.
  public var confirmedAt: Date?
  public var cancelled: Bool
}

extension Store {
  /// The page for `delivery`, or nil when there is no such delivery.
  public func confirmationPage(of delivery: DeliveryID) async throws -> ConfirmationPage? {
    try await read { reader in
      guard
        let row = try reader.rows(
          """
          SELECT d.language, d.recipient_name, m.id, m.cancelled_at,
            (SELECT c.confirmed_at FROM confirmations c
             WHERE c.message_id = m.id AND c.recipient_id = d.recipient_id)
          FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.id = ?
          """, [delivery.rawValue]
        ).first,
        let message = try reader.rows(
          "\(StoreRows.messageColumns) WHERE id = ?", [try row[2] as String]
        ).first.map(StoreRows.message(from:))
      else { return nil }
      let language: String = try row[0]
      let chosen = message.content(for: language)
      let mark = message.mode.readerMark.map { "\($0) " } ?? ""
      return ConfirmationPage(
        subject: mark + chosen.content.subject, body: chosen.content.body,
        language: chosen.language, recipientName: try row[1], acceptedAt: message.acceptedAt,
        deadline: message.confirmation?.deadline(after: message.startsAt),
        confirmedAt: (try row[4] as String?).flatMap(Timestamp.parse),
        cancelled: (try row[3] as String?) != nil)
    }
  }
}
