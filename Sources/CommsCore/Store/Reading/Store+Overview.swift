import Foundation

/// The operator's dashboard: the last messages and, per audience, how many
/// copies were delivered, are held, failed for good, or are still on their
/// way (`commsd status` without an id, `send --wait`).
public struct MessageOverview: Sendable, Codable, Equatable {
  public var id: String
  public var acceptedAt: Date
  public var priority: String
  public var subject: String
  public var sender: String
  public var planned: Bool
  public var cancelled: Bool
  public var audiences: [AudienceProgress]
  /// For a message that asks readers to confirm: how many have.
  public var confirmation: ConfirmationProgress?
  /// A scheduled message's release time (`not_before`).
  public var notBefore: Date?
  /// `actual`, or `exercise` / `test`, which the board marks.
  public var mode = "actual"
  /// The audiences it waits for approval for.
  public var awaitingApproval: [String] = []

  /// Every copy has reached a final state (and the message was planned).
  public var isFinal: Bool {
    planned && audiences.allSatisfy { $0.pending + $0.held + $0.awaitingReceipt == 0 }
  }

  enum CodingKeys: String, CodingKey {
    case id, priority, subject, sender, planned, cancelled, audiences, confirmation, mode
    case awaitingApproval = "awaiting_approval"
    case acceptedAt = "accepted_at"
    case notBefore = "not_before"
  }
}

/// A message's confirmations at a glance (the dashboard, `send --wait`).
public struct ConfirmationProgress: Sendable, Codable, Equatable {
  /// The people the message went to (its escalation waves' aside).
  public var people: Int
  /// Of them, confirmed in time, and late.
  public var confirmed: Int
  public var late: Int
  public var deadline: Date
  /// Escalation waves planned so far, and the deliveries they made.
  public var waves: Int
  public var waveDeliveries: Int
  public var nextWaveAt: Date?

  enum CodingKeys: String, CodingKey {
    case people, confirmed, late, deadline, waves
    case waveDeliveries = "wave_deliveries"
    case nextWaveAt = "next_wave_at"
  }
}

public struct AudienceProgress: Sendable, Codable, Equatable {
  public var audience: String
  public var total = 0
  /// Delivered: taken by the relay or receiver, or confirmed by the
  /// handset's receipt over a gateway that sends receipts.
  public var delivered = 0
  /// Taken by a gateway that sends receipts, whose receipt has not come
  /// yet (`sent`): not known to be reached.
  public var awaitingReceipt = 0
  /// Taken by such a gateway, and no receipt came in time: the gateway's
  /// word only.
  public var unconfirmed = 0
  public var held = 0
  /// Dead or undeliverable: the contact failed for good (a fallback
  /// contact may follow).
  public var failed = 0
  /// Cancelled, superseded, expired or carried by a digest.
  public var withdrawn = 0
  /// Queued, ready, sending or waiting for a retry.
  public var pending = 0

  public init(audience: String) { self.audience = audience }

  enum CodingKeys: String, CodingKey {
    case audience, total, delivered, held, failed, withdrawn, pending, unconfirmed
    case awaitingReceipt = "awaiting_receipt"
  }

  mutating func add(state: String, count: Int) {
    total += count
    switch DeliveryState(rawValue: state) {
    case .delivered: delivered += count
    case .sent: awaitingReceipt += count
    case .unconfirmed: unconfirmed += count
    case .held: held += count
    case .dead, .undeliverable: failed += count
    case .cancelled, .superseded, .expired, .digested: withdrawn += count
    case .queued, .ready, .sending, .retrying, nil: pending += count
    }
  }
}

extension Store {
  /// The `limit` most recently accepted messages, newest first; the
  /// conversations about questions (`commsd inbox`) are not among them.
  public func recentMessages(limit: Int) async throws -> [MessageOverview] {
    try await read { reader in
      let ids = try reader.strings(
        """
        SELECT id FROM messages WHERE kind NOT IN \(MessageKind.conversationSQL)
        ORDER BY accepted_at DESC, id DESC LIMIT ?
        """, [limit])
      return try ids.compactMap { try Self.overview(reader, MessageID(rawValue: $0)) }
    }
  }

  /// One message's progress per audience.
  public func overview(of id: MessageID) async throws -> MessageOverview? {
    try await read { reader in try Self.overview(reader, id) }
  }

  static func overview(_ reader: StoreReader, _ id: MessageID) throws -> MessageOverview? {
    guard let (message, lifecycle) = try messageWithLifecycle(reader, id) else { return nil }
    var progress = Dictionary(
      uniqueKeysWithValues: message.audiences.map { ($0, AudienceProgress(audience: $0)) })
    for row in try reader.rows(
      """
      SELECT audience, state, COUNT(*) FROM deliveries WHERE message_id = ?
        AND NOT EXISTS (SELECT 1 FROM wave_deliveries w WHERE w.delivery_id = deliveries.id)
      GROUP BY audience, state
      """, [id.rawValue])
    {
      let audience: String = try row[0]
      progress[audience, default: AudienceProgress(audience: audience)].add(
        state: try row[1], count: try row[2])
    }
    let order =
      message.audiences + progress.keys.filter { !message.audiences.contains($0) }.sorted()
    var overview = MessageOverview(
      id: id.rawValue, acceptedAt: message.acceptedAt, priority: message.priority.rawValue,
      subject: message.content(for: message.defaultLanguage).content.subject,
      sender: message.sender.description, planned: lifecycle.plannedAt != nil,
      cancelled: lifecycle.cancelledAt != nil, audiences: order.compactMap { progress[$0] })
    if let request = message.confirmation {
      overview.confirmation = try confirmationProgress(reader, message, request)
    }
    overview.notBefore = message.notBefore
    overview.mode = message.mode.rawValue
    overview.awaitingApproval = try reader.strings(
      "SELECT audience FROM approvals WHERE message_id = ? AND state = 'pending' ORDER BY audience",
      [id.rawValue])
    return overview
  }

  private static func confirmationProgress(
    _ reader: StoreReader, _ message: Message, _ request: ConfirmationRequest
  ) throws -> ConfirmationProgress {
    let people = Set(
      try reader.strings(
        """
        SELECT DISTINCT recipient_id FROM deliveries WHERE message_id = ?
          AND NOT EXISTS (SELECT 1 FROM wave_deliveries w WHERE w.delivery_id = deliveries.id)
        """, [message.id.rawValue]))
    let confirmations = try confirmations(reader, message).filter { people.contains($0.person) }
    let waves = try reader.rows(
      "SELECT COUNT(*), COALESCE(SUM(deliveries), 0) FROM confirmation_waves WHERE message_id = ?",
      [message.id.rawValue]
    ).first
    return ConfirmationProgress(
      people: people.count, confirmed: confirmations.count { !$0.late },
      late: confirmations.count { $0.late }, deadline: request.deadline(after: message.startsAt),
      waves: try waves?[0] ?? 0, waveDeliveries: try waves?[1] ?? 0,
      nextWaveAt: try nextWave(reader, message))
  }
}
