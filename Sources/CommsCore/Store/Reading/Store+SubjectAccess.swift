import Foundation

/// Everything sent to one person, for a request for access (GDPR art. 15).
/// One delivery to the person, with what the message said in their language.
public struct SubjectEntry: Sendable, Codable, Equatable {
  public var messageID: String
  public var acceptedAt: Date
  public var subject: String
  public var audience: String
  public var channel: String
  public var contact: String
  public var state: String
  public var deliveredAt: Date?
  /// Whether a handset receipt confirmed it (an SMS over a gateway with
  /// receipts); false for email (the relay took it) and other webhooks.
  public var confirmedByHandset: Bool = false
  public var deliveryID: String

  enum CodingKeys: String, CodingKey {
    case subject, audience, channel, contact, state
    case messageID = "message_id"
    case acceptedAt = "accepted_at"
    case deliveredAt = "delivered_at"
    case deliveryID = "delivery_id"
    case confirmedByHandset = "confirmed_by_handset"
  }
}

extension Store {
  /// Every delivery to `recipient`, oldest first.
  public func subjectAccess(recipient: String) async throws -> [SubjectEntry] {
    try await read { reader in
      let rows = try reader.rows(
        """
        SELECT d.id, d.message_id, m.accepted_at, m.contents, m.default_language, d.language,
          d.audience, d.channel, d.endpoint, d.address, d.state, d.delivered_at, d.receipt_at
        FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE d.recipient_id = ?
        ORDER BY m.accepted_at, d.created_at
        """, [recipient])
      let decoder = JSONCoding.decoder()
      return try rows.map { row in
        let contents = try decoder.decode(
          [String: MessageContent].self, from: Data((row[3] as String).utf8))
        let language: String = try row[5]
        let defaultLanguage: String = try row[4]
        let subject = (contents[language] ?? contents[defaultLanguage])?.subject ?? ""
        let endpoint: String? = try row[8]
        let stored: String = try row[9]
        let address =
          KeyedHash.isPseudonym(stored) ? "(removed after the retention period)" : stored
        let state: String = try row[10]
        let receiptAt: String? = try row[12]
        return SubjectEntry(
          messageID: try row[1],
          acceptedAt: Timestamp.parse(try row[2]) ?? Date(timeIntervalSince1970: 0),
          subject: subject, audience: try row[6], channel: try row[7],
          contact: endpoint.map { "\($0):\(address)" } ?? address, state: state,
          deliveredAt: (try row[11] as String?).flatMap(Timestamp.parse),
          confirmedByHandset: state == "delivered" && receiptAt != nil,
          deliveryID: try row[0])
      }
    }
  }
}
