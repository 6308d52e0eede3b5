import Foundation
import GRDB

/// The stores' rows read back into model values: the columns each reader
/// expects, and the readers. One set for both stores (`TableRow`).
enum StoreRows {
  static let messageColumns = """
    SELECT id, idempotency_key, sender_kind, sender_name, sender_origin, audiences, priority, kind,
      contents, default_language, accepted_at, filter, supersedes, expires_at, mode, cap_sender,
      cap_identifier, cap_sent, retraction_of, confirmation, inquiry, not_before, template,
      draft_id FROM messages
    """

  /// The values of `INSERT INTO messages (id, idempotency_key, fingerprint,
  /// sender_kind, sender_name, sender_origin, audiences, priority, kind,
  /// contents, default_language, accepted_at, filter, supersedes, expires_at,
  /// mode, cap_sender, cap_identifier, cap_sent, retraction_of,
  /// confirmation, next_wave_at, inquiry, not_before, template, draft_id)`,
  /// in that order.
  static func storedValues(of message: Message, fingerprint: String) -> [String?] {
    [
      message.id.rawValue, message.idempotencyKey, fingerprint, message.sender.kind.rawValue,
      message.sender.name, message.sender.origin, JSONWriter.text(strings: message.audiences),
      message.priority.rawValue, message.kind.rawValue,
      JSONWriter.text(contents: message.contents) ?? JSONCoding.string(message.contents),
      message.defaultLanguage, Timestamp.format(message.acceptedAt),
      JSONWriter.text(filter: message.filter), message.supersedes?.rawValue,
      message.expiresAt.map(Timestamp.format), message.mode.rawValue, message.cap?.sender,
      message.cap?.identifier, message.cap?.sent, message.retractionOf?.rawValue,
      message.confirmation.map(JSONCoding.string),
      message.confirmation?.firstWave(after: message.startsAt).map(Timestamp.format),
      message.inquiry.map(JSONCoding.string), message.notBefore.map(Timestamp.format),
      message.template, message.draft?.rawValue,
    ]
  }

  static let deliveryColumns = """
    id, message_id, recipient_id, recipient_name, audience, channel, endpoint, address, contact_index,
    language, priority, state, due_at, attempts, created_at, last_error, bulletin, updates_bulletin
    """

  /// How many columns `deliveryColumns` names: the index of a column selected after them.
  static let deliveryColumnCount = 18

  static func message(from row: some TableRow) throws -> Message {
    let decoder = JSONCoding.decoder()
    guard let senderKind = Sender.Kind(rawValue: try row[2]),
      let priority = Priority(rawValue: try row[6]),
      let kind = MessageKind(rawValue: try row[7]), let acceptedAt = Timestamp.parse(try row[10]),
      let mode = MessageMode(rawValue: try row[14])
    else { throw StoreError.corrupt("message \(try row[0] as String)") }
    var cap: CAPIdentity?
    if let sender: String = try row[15], let identifier: String = try row[16],
      let sent: String = try row[17]
    {
      cap = CAPIdentity(sender: sender, identifier: identifier, sent: sent)
    }
    var message = Message(
      id: MessageID(rawValue: try row[0]), idempotencyKey: try row[1],
      sender: Sender(kind: senderKind, name: try row[3], origin: try row[4]),
      audiences: try decoder.decode([String].self, from: Data((row[5] as String).utf8)),
      priority: priority, kind: kind,
      contents: try decoder.decode(
        [String: MessageContent].self, from: Data((row[8] as String).utf8)),
      defaultLanguage: try row[9], acceptedAt: acceptedAt,
      filter: try decoder.decode(RecipientFilter.self, from: Data((row[11] as String).utf8)),
      supersedes: (try row[12] as String?).map(MessageID.init(rawValue:)),
      expiresAt: (try row[13] as String?).flatMap(Timestamp.parse), mode: mode, cap: cap,
      retractionOf: (try row[18] as String?).map(MessageID.init(rawValue:)),
      confirmation: try (row[19] as String?).map {
        try decoder.decode(ConfirmationRequest.self, from: Data($0.utf8))
      },
      inquiry: try (row[20] as String?).map {
        try decoder.decode(InquiryNotice.self, from: Data($0.utf8))
      })
    message.notBefore = (try row[21] as String?).flatMap(Timestamp.parse)
    message.template = try row[22]
    message.draft = (try row[23] as String?).map(DraftID.init(rawValue:))
    return message
  }

  static func delivery(from row: some TableRow) throws -> Delivery {
    let id: String = try row[0]
    guard let channel = Channel(rawValue: try row[5]),
      let priority = Priority(rawValue: try row[10]),
      let state = DeliveryState(rawValue: try row[11]), let dueAt = Timestamp.parse(try row[12]),
      let createdAt = Timestamp.parse(try row[14])
    else { throw StoreError.corrupt("delivery \(id)") }
    let address: String = try row[7]
    let contact: Contact =
      switch channel {
      case .email: .email(address: address)
      case .webhook: .webhook(endpoint: try row[6] ?? "", address: address)
      }
    var delivery = Delivery(
      id: DeliveryID(rawValue: id), messageID: MessageID(rawValue: try row[1]),
      recipientID: try row[2],
      recipientName: try row[3], audience: try row[4], contact: contact, contactIndex: try row[8],
      bulletin: try row[16], language: try row[9],
      priority: priority, state: state, dueAt: dueAt, attempts: try row[13], createdAt: createdAt,
      lastError: try row[15])
    delivery.updatesBulletin = try row[17]
    return delivery
  }

  /// What happened to a message after intake: planned, cancelled, superseded, retracted.
  struct Lifecycle {
    var plannedAt: Date?
    var cancelledAt: Date?
    var cancelReason: String?
    var supersededBy: String?
    var retraction: String?

    init() {}

    init(row: some TableRow) throws {
      plannedAt = (try row[0] as String?).flatMap(Timestamp.parse)
      cancelledAt = (try row[1] as String?).flatMap(Timestamp.parse)
      cancelReason = try row[2]
      supersededBy = try row[3]
      retraction = try row[4]
    }
  }

  /// The columns `Lifecycle(row:)` reads, of `messages`.
  static let lifecycleColumns = """
    planned_at, cancelled_at, cancel_reason,
      (SELECT s.id FROM messages s WHERE s.supersedes = messages.id),
      (SELECT r.id FROM messages r WHERE r.retraction_of = messages.id)
    """

  /// The columns `deliveryLine(from:)` reads.
  static func lineColumns(_ reader: StoreReader) -> String {
    """
    id, recipient_id, recipient_name, audience, channel, endpoint, address, state, attempts,
      due_at, last_status, last_error, delivered_at, contact_index, \(reader.jsonArrayLength("contacts")),
      bulletin, language, hold_reason,
      (SELECT d.state FROM deliveries d WHERE d.id = deliveries.digest_id), digest_id, sent_at,
      receipt_at, (SELECT w.wave FROM wave_deliveries w WHERE w.delivery_id = deliveries.id)
    """
  }

  static func deliveryLine(from row: some TableRow) throws -> MessageStatus.DeliveryLine {
    let endpoint: String? = try row[5]
    let address: String = try row[6]
    return MessageStatus.DeliveryLine(
      id: try row[0], recipient: try row[1], recipientName: try row[2], audience: try row[3],
      channel: try row[4],
      contact: endpoint.map { "\($0):\(address)" } ?? address, state: try row[7],
      attempts: try row[8],
      dueAt: (try row[9] as String?).flatMap(Timestamp.parse), lastStatus: try row[10],
      lastError: try row[11],
      deliveredAt: (try row[12] as String?).flatMap(Timestamp.parse),
      sentAt: (try row[20] as String?).flatMap(Timestamp.parse),
      receiptAt: (try row[21] as String?).flatMap(Timestamp.parse), bulletin: try row[15],
      language: try row[16], holdReason: try row[17], digest: try row[19], wave: try row[22])
  }

  /// The status report of `message` from its delivery rows (`lineColumns`),
  /// as every store makes it.
  static func status(
    of message: Message, lifecycle: Lifecycle, lines rows: [some TableRow],
    bulletins: [String: Int]
  ) throws -> MessageStatus {
    var counts: [String: Int] = [:]
    var reached = Set<String>()
    var unreachable = Set<String>()
    var gatewayOnly = Set<String>()
    var everyone = Set<String>()
    let lines = try rows.map { row -> MessageStatus.DeliveryLine in
      let state: String = try row[7]
      let recipient: String = try row[1]
      counts[state, default: 0] += 1
      // An escalation wave's deliveries chase the people; they are not the
      // plan's reach (see `confirmation` for them).
      if (try row[22] as Int?) != nil { return try deliveryLine(from: row) }
      everyone.insert(recipient)
      // A digested delivery reached its reader when the digest did.
      let digest: String? = try row[18]
      if state == "delivered" || (state == "digested" && digest == "delivered") {
        reached.insert(recipient)
      }
      // The last contact died (or its gateway could not reach the handset):
      // nobody is left to try.
      if state == "dead" || state == "undeliverable",
        (try row[13] as Int) + 1 >= (try row[14] as Int? ?? 1)
      {
        unreachable.insert(recipient)
      }
      if state == "sent" || state == "unconfirmed" { gatewayOnly.insert(recipient) }
      return try deliveryLine(from: row)
    }
    unreachable.subtract(reached)
    gatewayOnly.subtract(reached)
    gatewayOnly.subtract(unreachable)
    let content = message.content(for: message.defaultLanguage).content
    var status = MessageStatus(
      id: message.id.rawValue, priority: message.priority.rawValue, kind: message.kind.rawValue,
      subject: content.subject, audiences: message.audiences, sender: message.sender.description,
      acceptedAt: message.acceptedAt, plannedAt: lifecycle.plannedAt,
      counts: counts, bulletins: bulletins,
      recipients: MessageStatus.Reach(
        total: everyone.count, reached: reached.count, unreachable: unreachable.sorted(),
        unconfirmed: gatewayOnly.count,
        pending: everyone.count - reached.count - unreachable.count - gatewayOnly.count),
      deliveries: lines)
    status.mode = message.mode.rawValue
    status.supersedes = message.supersedes?.rawValue
    status.supersededBy = lifecycle.supersededBy
    status.expiresAt = message.expiresAt
    status.cancelledAt = lifecycle.cancelledAt
    status.cancelReason = lifecycle.cancelReason
    status.retraction = lifecycle.retraction
    status.retractionOf = message.retractionOf?.rawValue
    return status
  }

  static let auditColumns =
    "SELECT seq, at, kind, message_id, delivery_id, actor, detail, personal FROM audit_events"

  static func auditEvent(from row: some TableRow) throws -> StoredAuditEvent {
    let text: String = try row[6]
    let detail =
      (try? JSONCoding.decoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    return StoredAuditEvent(
      sequence: try row[0],
      event: AuditEvent(
        kind: try row[2], at: Timestamp.parse(try row[1]) ?? Date(timeIntervalSince1970: 0),
        messageID: (try row[3] as String?).map(MessageID.init(rawValue:)),
        deliveryID: (try row[4] as String?).map(DeliveryID.init(rawValue:)), actor: try row[5],
        detail: detail, personal: AuditPersonal.values(try row[7])))
  }

  static let linkColumns =
    """
    SELECT seq, at, kind, message_id, delivery_id, actor, detail, prev_hash, hash, personal
    FROM audit_events
    """

  static func link(from row: some TableRow) throws -> AuditChain.Link {
    AuditChain.Link(
      sequence: try row[0], at: try row[1], kind: try row[2], messageID: try row[3],
      deliveryID: try row[4],
      actor: try row[5], detail: try row[6], previous: try row[7], hash: try row[8],
      personal: try row[9])
  }

}
