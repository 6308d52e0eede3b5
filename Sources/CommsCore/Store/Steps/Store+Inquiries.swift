import Foundation

/// What a reply that came back did.
public enum InquiryOutcome: Sendable, Equatable {
  /// A confirmation word: it confirmed the latest message asking this
  /// number to (see `ConfirmationOutcome`).
  case confirmation(ConfirmationOutcome)
  /// It is (or, `duplicate`, already was) the inquiry `id`.
  case inquiry(InquiryID, match: Inquiry.Match, duplicate: Bool)
  /// An automatic answer (out of office, a bounce): recorded, no inquiry.
  case automatic(reason: String)
}

extension Store {
  /// Takes a reply that came back, in one transaction: a confirmation word
  /// (`confirms`, SMS) confirms, as `receiveSMS` did; an automatic answer
  /// is recorded; anything else becomes an inquiry matched to the person
  /// and the bulletin it answers, copied to the handlers of the person's
  /// audience (`policy`), acknowledged to the person when the audience
  /// asks (at most one per `acknowledge_every`), and given the time its
  /// handlers are reminded. `sender` is the directory's person with the
  /// contact it came from (looked up before, outside the writer);
  /// `directory` names the person a tag or a hook points at.
  public func receiveReply(
    _ reply: IncomingReply, sender: Recipient?, directory: RecipientDirectory, confirms: Bool,
    confirmSince: Date, policy: InboundPolicy, at now: Date
  ) async throws -> InquiryOutcome {
    try await write(.urgent) { transaction in
      try transaction.receiveReply(
        reply, sender: sender, directory: directory, confirms: confirms,
        confirmSince: confirmSince, policy: policy, at: now)
    }
  }
}

extension StoreTransaction {
  func receiveReply(
    _ reply: IncomingReply, sender: Recipient?, directory: RecipientDirectory, confirms: Bool,
    confirmSince: Date, policy: InboundPolicy, at now: Date
  ) throws -> InquiryOutcome {
    if let reference = reply.reference,
      let earlier = try row(
        "SELECT id, matched_by FROM inquiries WHERE source = ? AND reference = ?",
        [reply.source, reference])
    {
      return .inquiry(
        InquiryID(rawValue: try earlier[0]),
        match: Inquiry.Match(rawValue: try earlier[1]) ?? .unmatched, duplicate: true)
    }
    if confirms, reply.channel == .sms,
      let delivery = try row(
        """
        SELECT d.id FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE m.confirmation IS NOT NULL AND m.cancelled_at IS NULL AND m.accepted_at >= ?
          AND d.endpoint = ? AND d.address = ?
        ORDER BY m.accepted_at DESC, d.id DESC LIMIT 1
        """, [Timestamp.format(confirmSince), reply.source, reply.from]
      ).map({ DeliveryID(rawValue: try $0[0]) })
    {
      return .confirmation(
        try confirm(
          Confirmation(
            deliveryID: delivery, way: .sms, at: now, actor: "sms:\(reply.source)")))
    }
    var match = try matchedDelivery(reply)
    if let automatic = reply.automatic {
      try audit(
        AuditEvent(
          kind: "inbound.automatic", at: now, messageID: match?.messageID,
          deliveryID: match?.deliveryID, actor: "\(reply.channel.rawValue):\(reply.source)",
          detail: ["channel": reply.channel.rawValue, "reason": automatic],
          personal: ["from": reply.from]))
      return .automatic(reason: automatic)
    }
    // The person: the one the matched delivery went to, else the sender's
    // contact's, else the one a hook names.
    let person =
      match.flatMap { found in
        found.recipientID == sender?.id ? sender : directory.recipient(id: found.recipientID)
      } ?? sender ?? reply.recipientID.flatMap(directory.recipient(id:))
    if match == nil, person != nil {
      match = try latestDelivery(to: person?.id ?? "", since: now - policy.matchWithin.seconds)
    }
    var generator = SystemRandomNumberGenerator()
    let audience = match?.audience ?? person?.audiences.first
    let routing = policy.routing(for: audience)
    var inquiry = Inquiry(
      id: InquiryID(rawValue: ULID.make("inq_", at: now, using: &generator)),
      receivedAt: now, channel: reply.channel, source: reply.source, from: reply.from,
      fromName: reply.fromName, subject: reply.subject, text: reply.text,
      recipientID: person?.id ?? match?.recipientID,
      recipientName: person?.name ?? match?.recipientName, audience: audience,
      unit: person?.attributes["unit"], language: person?.language ?? policy.defaultLanguage,
      messageID: match?.messageID, deliveryID: match?.deliveryID, bulletin: match?.bulletin,
      match: match?.how ?? (person == nil ? .unmatched : .person), state: .open,
      alertAt: routing?.answerWithin.map { now + $0.seconds })
    try insert(inquiry, reference: reply.reference)
    try audit(
      AuditEvent(
        kind: "inquiry.received", at: now, messageID: inquiry.messageID,
        deliveryID: inquiry.deliveryID, actor: "\(reply.channel.rawValue):\(reply.source)",
        detail: [
          "inquiry": inquiry.id.rawValue, "channel": reply.channel.rawValue,
          "match": inquiry.match.rawValue, "audience": audience ?? "",
          "recipient": inquiry.recipientID ?? "",
        ],
        personal: ["from": reply.from, "text": reply.text, "subject": reply.subject ?? ""]))
    if let routing, !routing.routes.isEmpty {
      let (message, deliveries) = InquiryMessages.forHandlers(
        inquiry, routes: routing.routes, policy: policy, at: now, using: &generator)
      try acceptComposed(message, deliveries: deliveries, at: now)
    }
    if let routing, routing.acknowledge, person != nil, reply.channel != .hook,
      // Dosed per person (whichever of their addresses they write from).
      try row(
        """
        SELECT 1 FROM inquiries WHERE recipient_id = ? AND acknowledgement_id IS NOT NULL
          AND received_at >= ?
        """, [person?.id, Timestamp.format(now - routing.acknowledgeEvery.seconds)]) == nil,
      let contact = InquiryMessages.replyContact(of: inquiry, directory: directory)
    {
      let (message, delivery) = InquiryMessages.acknowledgement(
        inquiry, routing: routing, contact: contact, at: now, using: &generator)
      try acceptComposed(message, deliveries: [delivery], at: now)
      inquiry.acknowledgementID = message.id
      try execute(
        "UPDATE inquiries SET acknowledgement_id = ? WHERE id = ?",
        [message.id.rawValue, inquiry.id.rawValue])
    }
    return .inquiry(inquiry.id, match: inquiry.match, duplicate: false)
  }

  /// A delivery a reply points at, and what it tells.
  struct MatchedDelivery {
    var deliveryID: DeliveryID
    var messageID: MessageID
    var recipientID: String
    var recipientName: String
    var audience: String
    var bulletin: Int?
    var how: Inquiry.Match
  }

  private static let matchColumns = """
    SELECT d.id, d.message_id, d.recipient_id, d.recipient_name, d.audience, d.bulletin, m.kind,
      m.inquiry
    """

  /// The delivery the reply's tag or thread names. A reply to commsd's
  /// own answer or acknowledgement is about the question's bulletin.
  private func matchedDelivery(_ reply: IncomingReply) throws -> MatchedDelivery? {
    let named =
      (reply.tag.map { [($0, Inquiry.Match.tag)] } ?? []) + reply.thread.map { ($0, .thread) }
    for (id, how) in named.prefix(20) {
      guard
        let row = try row(
          "\(Self.matchColumns) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.id = ?",
          [id.rawValue])
      else { continue }
      return try matched(row, how: how)
    }
    return nil
  }

  /// The latest bulletin that went to `recipient` since `since` (was
  /// tried at least once: one still queued or held cannot be answered).
  private func latestDelivery(to recipient: String, since: Date) throws -> MatchedDelivery? {
    try row(
      """
      \(Self.matchColumns) FROM messages m
      JOIN deliveries d ON d.message_id = m.id AND d.recipient_id = ?
      WHERE m.accepted_at >= ? AND m.kind NOT IN \(MessageKind.conversationSQL)
        AND (d.attempts > 0 OR d.state IN ('delivered', 'digested'))
      ORDER BY m.accepted_at DESC, d.created_at DESC LIMIT 1
      """, [recipient, Timestamp.format(since)]
    ).map { try matched($0, how: .latest) }
  }

  private func matched(_ row: some TableRow, how: Inquiry.Match) throws -> MatchedDelivery {
    var found = MatchedDelivery(
      deliveryID: DeliveryID(rawValue: try row[0]), messageID: MessageID(rawValue: try row[1]),
      recipientID: try row[2], recipientName: try row[3], audience: try row[4],
      bulletin: (try row[5] as Int?).flatMap { $0 > 0 ? $0 : nil }, how: how)
    if MessageKind(rawValue: try row[6])?.isConversation == true,
      let notice = (try row[7] as String?).flatMap({
        try? JSONCoding.decoder().decode(InquiryNotice.self, from: Data($0.utf8))
      }),
      let question = try self.row(
        "SELECT message_id, delivery_id, bulletin FROM inquiries WHERE id = ?",
        [notice.id.rawValue]),
      let message: String = try question[0], let delivery: String = try question[1]
    {
      found.messageID = MessageID(rawValue: message)
      found.deliveryID = DeliveryID(rawValue: delivery)
      found.bulletin = try question[2]
    }
    return found
  }

  private func insert(_ inquiry: Inquiry, reference: String?) throws {
    try execute(
      """
      INSERT INTO inquiries (id, received_at, channel, source, reference, sender, sender_name,
        subject, text, recipient_id, recipient_name, audience, unit, language, message_id,
        delivery_id, bulletin, matched_by, state, alert_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        inquiry.id.rawValue, Timestamp.format(inquiry.receivedAt), inquiry.channel.rawValue,
        inquiry.source, reference, inquiry.from, inquiry.fromName, inquiry.subject, inquiry.text,
        inquiry.recipientID, inquiry.recipientName, inquiry.audience, inquiry.unit,
        inquiry.language, inquiry.messageID?.rawValue, inquiry.deliveryID?.rawValue,
        inquiry.bulletin, inquiry.match.rawValue, inquiry.state.rawValue,
        inquiry.alertAt.map(Timestamp.format),
      ])
  }

  /// Accepts a message commsd composed about an inquiry with its
  /// deliveries, planned at once (as a retraction is).
  func acceptComposed(_ message: Message, deliveries: [Delivery], at now: Date) throws {
    _ = try accept(message, fingerprint: "\(message.kind.rawValue) \(message.id)")
    let at = Timestamp.format(now)
    try execute("UPDATE messages SET planned_at = ? WHERE id = ?", [at, message.id.rawValue])
    var writer = DeliveryWriter(self)
    for delivery in deliveries { try writer.add(delivery, now: at) }
    try writer.finish()
    try audit(
      AuditEvent(
        kind: "message.planned", at: now, messageID: message.id, actor: "commsd",
        detail: [
          "deliveries": String(deliveries.count),
          "inquiry": message.inquiry?.id.rawValue ?? "",
          "role": message.inquiry?.role.rawValue ?? "",
        ]))
    notify(.work)
  }
}
