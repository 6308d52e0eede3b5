import Foundation

/// A person's word that they understood a message, through one of its
/// deliveries.
public struct Confirmation: Sendable, Equatable {
  /// How it came.
  public enum Way: String, Sendable, Codable, CaseIterable {
    /// The confirmation page's button (a link in the email or SMS).
    case link
    /// An SMS reply keyword.
    case sms
    /// A Teams card's action.
    case teams
    /// Taken by an operator (`commsd confirm --on-behalf`), e.g. by phone.
    case byOperator = "operator"
  }

  public var deliveryID: DeliveryID
  public var way: Way
  /// When the person confirmed (the operator's note may say more).
  public var at: Date
  /// Who recorded it: the operator, or the route it came by.
  public var actor: String
  /// The operator's note (`--on-behalf "phoned 10:42"`): personal data.
  public var note: String?

  public init(deliveryID: DeliveryID, way: Way, at: Date, actor: String, note: String? = nil) {
    self.deliveryID = deliveryID
    self.way = way
    self.at = at
    self.actor = actor
    self.note = note
  }
}

/// What a confirmation did.
public enum ConfirmationOutcome: Sendable, Equatable {
  /// On record for its person; `late` when after the message's deadline.
  case confirmed(late: Bool)
  /// The person had confirmed already (at that time): nothing changed.
  case repeated(at: Date)
  /// The message asks for no confirmation.
  case notAsked
  /// The message was cancelled: there is nothing left to confirm.
  case cancelled
  /// No such delivery.
  case unknownDelivery
}

extension Store {
  /// Records `confirmation` for the person its delivery went to: the
  /// first per person and message counts (later ones are `repeated`), and
  /// is audited as `confirmation.received`.
  public func confirm(_ confirmation: Confirmation) async throws -> ConfirmationOutcome {
    try await write(.urgent) { transaction in
      try transaction.confirm(confirmation)
    }
  }
}

extension StoreTransaction {
  func confirm(_ confirmation: Confirmation) throws -> ConfirmationOutcome {
    guard
      let found = try row(
        """
        SELECT d.message_id, d.recipient_id, m.confirmation, COALESCE(m.not_before, m.accepted_at),
          m.cancelled_at
        FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.id = ?
        """, [confirmation.deliveryID.rawValue])
    else { return .unknownDelivery }
    let message: String = try found[0]
    let recipient: String = try found[1]
    guard let asked = (try found[2] as String?),
      let request = try? JSONCoding.decoder().decode(
        ConfirmationRequest.self, from: Data(asked.utf8)),
      let acceptedAt = Timestamp.parse(try found[3])
    else { return .notAsked }
    if (try found[4] as String?) != nil { return .cancelled }
    if let earlier = try row(
      "SELECT confirmed_at FROM confirmations WHERE message_id = ? AND recipient_id = ?",
      [message, recipient])
    {
      return .repeated(at: Timestamp.parse(try earlier[0]) ?? confirmation.at)
    }
    let late = confirmation.at > request.deadline(after: acceptedAt)
    try execute(
      """
      INSERT INTO confirmations (message_id, recipient_id, delivery_id, confirmed_at, via, actor,
        note, late)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        message, recipient, confirmation.deliveryID.rawValue, Timestamp.format(confirmation.at),
        confirmation.way.rawValue, confirmation.actor, confirmation.note, late ? 1 : 0,
      ])
    try audit(
      AuditEvent(
        kind: "confirmation.received", at: confirmation.at, messageID: MessageID(rawValue: message),
        deliveryID: confirmation.deliveryID, actor: confirmation.actor,
        detail: ["via": confirmation.way.rawValue, "late": late ? "true" : "false"],
        personal: confirmation.note.map { ["note": $0] } ?? [:]))
    return .confirmed(late: late)
  }
}
